/** Entry point of the embedder service; filled in by its issue. */
export {};
