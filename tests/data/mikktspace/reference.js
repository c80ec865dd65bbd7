// Runs the mikktspace npm package (the Rust port of mikktspace.c, as WebAssembly) on
// unindexed float32 arrays: reads <name>.in.bin (u32 corner count, then positions,
// normals, uvs as float32), writes <name>.out.bin (float32 xyzw per corner).
// Usage: NODE_PATH=<folder holding node_modules> node reference.js file.in.bin ...
const fs = require('fs');
const { generateTangents } = require('mikktspace');
for (const path of process.argv.slice(2)) {
  const buffer = fs.readFileSync(path);
  const count = buffer.readUInt32LE(0);
  const floats = new Float32Array(buffer.buffer.slice(buffer.byteOffset + 4, buffer.byteOffset + 4 + count * 8 * 4));
  const position = floats.slice(0, count * 3);
  const normal = floats.slice(count * 3, count * 6);
  const uv = floats.slice(count * 6, count * 8);
  const tangents = generateTangents(position, normal, uv);
  fs.writeFileSync(path.replace('.in.bin', '.out.bin'), Buffer.from(tangents.buffer));
}
