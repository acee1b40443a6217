import { defineConfig } from 'tsdown'

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  platform: 'neutral',
  target: 'es2022',
  sourcemap: false,
  clean: true,
  // Next.js App Router (React Server Components) treats a module as client code only when it starts
  // with this directive; without it a server layout importing <AuthProvider> breaks. JS only: a
  // directive means nothing in a .d.ts (and tsdown's own `banner` leaves an empty line there).
  outputOptions: { banner: (chunk) => (/\.d\.[cm]?ts$/.test(chunk.fileName) ? '' : "'use client';") },
})
