import axios from 'axios'
import { describe, expect, it } from 'vitest'
import { useTokenApi } from '../../core/test/support/http'
import { attachAuth } from '../src'

/**
 * A typed array or DataView over part of its buffer: axios sends the whole buffer behind it (a Node
 * Buffer excepted), so the replay must too, or its body falls short of the Content-Length axios kept
 * and the request hangs. Against a real node:http server on 127.0.0.1.
 */

const server = useTokenApi()
const { hits } = server

function setup() {
  // Refused by the server: the first send gets a 401, the replay (new token) a 200.
  const { auth } = server.client({ refused: true })
  const api = axios.create({ baseURL: server.origin })
  attachAuth(api, auth, { origins: [server.origin] })
  return api
}

describe('the replay sends the body the first request sent', () => {
  const bytes = () => {
    const buffer = new ArrayBuffer(16)
    new Uint8Array(buffer).set(Array.from({ length: 16 }, (_, i) => i + 1))
    return buffer
  }
  const cases: Array<[string, () => ArrayBufferView]> = [
    ['a Uint8Array over part of its buffer', () => new Uint8Array(bytes(), 4, 8)],
    ['a DataView over part of its buffer', () => new DataView(bytes(), 4, 8)],
    ['a Float64Array subarray', () => new Float64Array(bytes()).subarray(1)],
  ]
  it.each(cases)(
    '%s',
    async (_, body) => {
      const api = setup()
      // A timeout, so a replay whose Content-Length promises more bytes than it sends fails instead of hanging.
      const res = await api.post('/upload', body(), {
        headers: { 'content-type': 'application/octet-stream' },
        timeout: 2_000,
      })
      expect(res.status).toBe(200)
      expect(hits).toHaveLength(2)
      expect(hits[0]!.authorization).not.toBe(hits[1]!.authorization)
      // Whatever axios makes of a view, the replay must send the same bytes as the first request.
      expect(hits[1]!.body.toString('hex')).toBe(hits[0]!.body.toString('hex'))
    },
    10_000,
  )
})
