import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

const packages = fileURLToPath(new URL('../../../', import.meta.url))

/**
 * Type-checks `files` of a fixture directory as one program, with the packages resolved to their
 * sources, the way an app's own code sees them. Declaration merging is per program: a program without
 * the fixture's `register.ts` shows what the same code gets without the declaration. Returns the errors.
 */
export function typeErrors(dir: string, files: string[]): string[] {
  const program = ts.createProgram({
    rootNames: files.map((file) => join(dir, file)),
    options: {
      strict: true,
      exactOptionalPropertyTypes: true,
      noEmit: true,
      skipLibCheck: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      jsx: ts.JsxEmit.ReactJSX,
      lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
      types: [],
      paths: Object.fromEntries(
        ['core', 'react', 'vue', 'svelte'].map((name) => [
          `@latchkey/${name}`,
          [join(packages, name, 'src/index.ts')],
        ]),
      ),
    },
  })
  return ts
    .getPreEmitDiagnostics(program)
    .map(
      (d) =>
        `${d.file ? `${d.file.fileName.slice(dir.length + 1)}: ` : ''}${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`,
    )
}
