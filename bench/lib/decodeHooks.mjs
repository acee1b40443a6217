// Module hooks (registered with `module.register`) that hand `@latchkey/core` a counting
// jwt-decode, so the hot-path run can show how often it decodes. Everything else resolves as usual.
const counted = new URL('./countedJwtDecode.mjs', import.meta.url).href

export async function resolve(specifier, context, nextResolve) {
  if (specifier === 'jwt-decode' && context.parentURL !== counted) return { url: counted, shortCircuit: true }
  return nextResolve(specifier, context)
}
