// @vitest-environment happy-dom
// @vitest-environment-options {"url": "https://app.example.com/dashboard/"}
import axios from 'axios'
import { expect, it } from 'vitest'
import { attachAuth } from '../src'
import { whereItGoes } from './support/whereItGoes'

/**
 * A relative baseURL is joined with the url before the origin check: axios sends baseURL `/` with
 * url `\evil.com` to `/\evil.com`, which browsers resolve to https://evil.com.
 */
const send = whereItGoes(axios, attachAuth)

it('the page origin still gets the token through a relative baseURL', async () => {
  for (const baseURL of ['/', '/api', '/api/'])
    expect(await send(baseURL, '/users')).toEqual({
      authorization: expect.stringMatching(/^Bearer /),
      origin: 'https://app.example.com',
    })
})

for (const baseURL of ['/', '//'])
  for (const url of ['\\evil.com/steal', '\t/evil.com/steal', '/\\evil.com/steal'])
    for (const origins of [undefined, ['https://app.example.com']])
      it(`no token when baseURL ${JSON.stringify(baseURL)} + url ${JSON.stringify(url)} leaves the page (origins: ${origins ?? 'default'})`, async () => {
        const seen = await send(baseURL, url, origins)
        expect(seen.origin).toBe('https://evil.com')
        expect(seen.authorization).toBeNull()
      })

// The URL parser strips leading spaces and C0 controls and drops tabs and newlines: `' ///'` is `///`.
// Slashes alone, after a scheme or not, name no host; axios 1.7 joins them into one that does
// (older-axios.relative-base.test.ts). A baseURL that names no host gets no token on any axios.
for (const baseURL of [' ///', '\t///', '/\n//', 'https:///', ' https:///', 'http:///'])
  it(`no token through baseURL ${JSON.stringify(baseURL)}, which names no host`, async () => {
    expect((await send(baseURL, 'evil.com/steal')).authorization).toBeNull()
  })
