import { createAuthFetch } from '../src'
import { API, describeStorms } from './support/storms'

describeStorms('createAuthFetch', (auth) => {
  const api = createAuthFetch(auth, { origins: [API] })
  return async (id) => {
    const response = await api(`${API}/items/${id}`)
    return { status: response.status, id: (await response.json()).id }
  }
})
