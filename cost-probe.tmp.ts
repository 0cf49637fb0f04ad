import { archiveCost, COST_MIXES, historyLines } from "/work/wt/archive/load-testing/bench/history.js";
const t = Date.now();
const cost = await archiveCost(20_000, COST_MIXES.single);
console.log("single s", (Date.now() - t) / 1000);
const t2 = Date.now();
const zipf = await archiveCost(Number(process.argv[2] ?? 100_000), COST_MIXES.zipf);
console.log("zipf s", (Date.now() - t2) / 1000);
console.log(historyLines({ cost, zipf }).join("\n"));
