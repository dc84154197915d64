// MiniSearch exports its radix tree as 'minisearch/SearchableMap' through package.json "exports", which Node and
// jest follow but this repository's TypeScript module resolution ("node") does not: this points the types there.
declare module 'minisearch/SearchableMap' {
  import SearchableMap from 'minisearch/dist/es/SearchableMap';
  export default SearchableMap;
}
