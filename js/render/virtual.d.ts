/** Modules build.mjs provides (js/build.mjs). */
declare module "virtual:katex-css" {
  const css: string;
  export default css;
}
declare module "virtual:renderer" {
  const code: string;
  export default code;
}
