/** attachAuth on axios 1.7.9: an app interceptor that runs after it and changes the URL (see the suite). */
import { vi } from 'vitest'
import { interceptorOrderSuite } from './support/interceptorOrder'

vi.mock('axios', () => import('axios17'))

interceptorOrderSuite('1.7.9')
