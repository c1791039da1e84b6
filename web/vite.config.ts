import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The gateway serves dist/: index.html at every workspace path, hashed files under /assets.
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: "dist",
    assetsDir: "assets",
    chunkSizeWarningLimit: 1500,
  },
  server: { proxy: { "/api": "http://127.0.0.1:8000" } },
});
