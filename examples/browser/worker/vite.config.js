export default {
  base: './',                               // relative asset URLs: the build works from any folder
  build: { target: 'es2022' },              // top-level await
  worker: { format: 'es' },                 // module workers: top-level await, import.meta.url
  optimizeDeps: { exclude: ['descent-nn'] },
};
