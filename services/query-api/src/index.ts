/** Entry point of the query-api service; filled in by its issue. */
export {};
