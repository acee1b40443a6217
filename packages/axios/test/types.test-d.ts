import { type AttachAuthOptions, attachAuth } from '@latchkey/axios'
import { type AuthClient, createAuthClient, type OriginRule } from '@latchkey/core'
import axios, { type AxiosInstance } from 'axios'
import { expectTypeOf, test } from 'vitest'

interface MyClaims {
  sub: string
  roles: string[]
}

test('attachAuth(axiosInstance, client, options?) returns detach()', () => {
  expectTypeOf(attachAuth).parameter(0).toEqualTypeOf<AxiosInstance>()
  expectTypeOf(attachAuth).parameter(2).toEqualTypeOf<AttachAuthOptions | undefined>()
  expectTypeOf(attachAuth).returns.toEqualTypeOf<() => void>()
  // A client typed with the app's claims and credentials, on the default instance or a created one.
  const auth: AuthClient<MyClaims, { username: string; password: string }> = createAuthClient<
    MyClaims,
    { username: string; password: string }
  >()
  expectTypeOf(attachAuth(axios, auth)).toEqualTypeOf<() => void>()
  expectTypeOf(attachAuth(axios.create(), auth, {})).toEqualTypeOf<() => void>()
})

test('options are { origins?, retryOn401? }, origins as createAuthFetch takes them', () => {
  // `| undefined`: with exactOptionalPropertyTypes an option set to undefined is one left out.
  expectTypeOf<AttachAuthOptions>().toEqualTypeOf<{
    origins?: OriginRule | undefined
    retryOn401?: boolean | undefined
  }>()
  const api = axios.create()
  const auth = createAuthClient()
  attachAuth(api, auth, { origins: ['https://api.example.com', /^https:\/\/[a-z]+\.example\.com$/] })
  attachAuth(api, auth, { origins: (url) => url.hostname.endsWith('.example.com'), retryOn401: false })
  const env: { apiOrigin?: string } = {}
  attachAuth(api, auth, { origins: env.apiOrigin ? [env.apiOrigin] : undefined, retryOn401: undefined })
  // @ts-expect-error: createAuthFetch's `fetch` option is not one of attachAuth's
  attachAuth(api, auth, { fetch: globalThis.fetch })
  // @ts-expect-error: an origin rule is not a single string
  attachAuth(api, auth, { origins: 'https://api.example.com' })
})
