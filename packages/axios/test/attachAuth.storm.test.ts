import axios from 'axios'
import { API, describeStorms } from '../../core/test/support/storms'
import { attachAuth } from '../src'

describeStorms('attachAuth', (auth) => {
  const api = axios.create({ baseURL: API })
  attachAuth(api, auth, { origins: [API] })
  return async (id) => {
    const response = await api.get(`/items/${id}`)
    return { status: response.status, id: response.data.id }
  }
})
