import { defineConfig } from "vite";

// The portal is bundled into the gateway at build time (gateway/Aetherium.Gateway.csproj runs `npm run build`):
// the output lands in the gateway's web root, which it serves at /. `npm run dev` proxies the API to a running
// gateway (AETHERIUM_GATEWAY, default http://localhost:8080) for working on the portal alone.
const gateway = process.env.AETHERIUM_GATEWAY ?? "http://localhost:8080";

export default defineConfig({
  build: {
    outDir: "../gateway/wwwroot",
    emptyOutDir: true,
    sourcemap: false,
    target: "es2022",
  },
  // JSX compiles to Preact's automatic runtime.
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  server: {
    proxy: {
      "/api": { target: gateway, changeOrigin: false },
    },
  },
});
