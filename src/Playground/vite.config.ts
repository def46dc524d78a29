import { defineConfig } from "vite";

// Builds into the server's embedded folder. Names carry no hash, so a rebuild changes only what changed
// and CI can compare the committed bundle with a fresh build byte for byte.
export default defineConfig({
  base: "./",
  build: {
    outDir: "../Server/Playground/dist",
    emptyOutDir: true,
    target: "es2022",
    modulePreload: false,
    rollupOptions: {
      output: {
        entryFileNames: "assets/playground.js",
        chunkFileNames: "assets/[name].js",
        assetFileNames: "assets/playground[extname]",
      },
    },
  },
});
