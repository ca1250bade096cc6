// KeyAgg of 100 keys alone through the package's JS API, for quick A/B comparisons of two
// builds at equal load: `node bench/js/keyagg-alone.cjs [path/to/musig2_p2p.js]` (default
// pkg/node). Prints the median over 7 runs of 300 constructions of CPU and wall time per op.
const path = require('node:path');

const m = require(path.resolve(process.argv[2] || path.join(__dirname, '../../pkg/node/musig2_p2p.js')));
const keys = m.keySort(Array.from({ length: 100 }, () => m.publicKey(m.generateSecretKey())));
const once = () => new m.SigningContext('bip327', keys, null).free();
for (let i = 0; i < 200; i++) once();
const runs = [];
for (let r = 0; r < 7; r++) {
  const n = 300;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) once();
  const cpu = process.cpuUsage(cpu0);
  runs.push({ cpu: (cpu.user + cpu.system) / 1000 / n, wall: (performance.now() - t0) / n });
}
runs.sort((a, b) => a.cpu - b.cpu);
const med = runs[3];
console.log(`KeyAgg 100: CPU ${med.cpu.toFixed(3)} ms/op, wall ${med.wall.toFixed(3)} ms/op (median of 7 runs; fastest CPU ${runs[0].cpu.toFixed(3)} ms)`);
