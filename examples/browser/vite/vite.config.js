export default {
  base: './',                               // relative asset URLs: the build works from any folder
  build: { target: 'es2022' },              // top-level await
  optimizeDeps: { exclude: ['descent-nn'] }, // dev server: keep the package's files where its URLs point
};
