import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

// The app runs on the packages' sources, so `pnpm dev` and `vite build` need no prior package build.
const source = (name: string) =>
  decodeURIComponent(new URL(`../../packages/${name}/src/index.ts`, import.meta.url).pathname)

export default defineConfig({
  plugins: [react()],
  resolve: {
    alias: { '@latchkey/core': source('core'), '@latchkey/react': source('react') },
    // packages/react resolves its own `react`; one copy must serve both, or hooks break.
    dedupe: ['react', 'react-dom'],
  },
  server: { host: '127.0.0.1', port: 5173 },
  preview: { host: '127.0.0.1', port: 4173 },
})
