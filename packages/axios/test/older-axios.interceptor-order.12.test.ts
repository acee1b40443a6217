/** attachAuth on axios 1.2.0: an app interceptor that runs after it and changes the URL (see the suite). */
import { vi } from 'vitest'
import { interceptorOrderSuite } from './support/interceptorOrder'

vi.mock('axios', () => import('axios12'))

interceptorOrderSuite('1.2.0')
