// esbuild (--loader:.wasm=binary) and the vitest plugin in vitest.config.ts turn a .wasm
// import into its bytes, so the bundles carry the modules inline: no fs, no fetch.
declare module '*.wasm' {
  const bytes: Uint8Array<ArrayBuffer>;
  export default bytes;
}
