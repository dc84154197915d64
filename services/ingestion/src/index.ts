/** Entry point of the ingestion service; filled in by its issue. */
export {};
