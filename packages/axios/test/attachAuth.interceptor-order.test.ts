/** attachAuth on the axios it is built with: an app interceptor that runs after it (see the suite). */
import axios from 'axios'
import { interceptorOrderSuite } from './support/interceptorOrder'

interceptorOrderSuite(axios.VERSION)
