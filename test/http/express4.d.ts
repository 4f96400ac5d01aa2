// `express4` is an npm alias of Express 4, which ships no types: its API is the one @types/express describes.
declare module 'express4' {
  import express from 'express';
  export default express;
}
