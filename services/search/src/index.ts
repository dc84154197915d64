/** Entry point of the search service; filled in by its issue. */
export {};
