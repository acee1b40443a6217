import { olderVue } from './vitest.config.ts'

export default olderVue('vue33')
