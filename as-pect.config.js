// as-pect configuration for the AssemblyScript kernel tests (`npm run test:as`).
//
// Shape of node_modules/@as-pect/cli/init/as-pect.config.js (what `asp --init` writes).
// Compiler options are not taken from here: as-pect 8 runs
//   asc <spec> <includes> --config ./as-pect.asconfig.json --target noCoverage
// so as-pect.asconfig.json holds them: the @as-pect/assembly entry and transform, SIMD on, a
// managed runtime (as-pect allocates), -O3 like the library build, and not the stub runtime,
// importMemory or noAssert of the library's asconfig.json.
// Plain SIMD only: relaxed SIMD needs `--experimental-wasm-relaxed-simd` on Node 20, and in the
// plain build the elementwise kernels round exactly like scalar f32 code, which the specs use.

export default {
  /**
   * A set of globs passed to the glob package that qualify typescript files for testing.
   */
  entries: ["test/assembly/**/*.spec.ts"],
  /**
   * A set of globs passed to the glob package that quality files to be added to each test.
   */
  include: ["test/assembly/**/*.include.ts"],
  /**
   * A set of regexp that will disclude source files from testing.
   */
  disclude: [/node_modules/],
  /**
   * Add your required AssemblyScript imports here.
   */
  async instantiate(memory, createImports, instantiate, binary) {
    let instance; // Imports can reference this
    const myImports = {
      env: { memory },
    };
    instance = instantiate(binary, createImports(myImports));
    return instance;
  },
  /** Enable code coverage. */
  // coverage: ["assembly/**/*.ts"],
  /**
   * Specify if the binary wasm file should be written to the file system.
   */
  outputBinary: false,
};
