// `npm run bench`: every benchmark in turn (build first: the benchmarks use dist/).
const benchmarks = [['poll CPU (SeqrClient vs raw POST)', require('./poll-cpu')]];

(async () => {
  let failed = false;
  for (const [name, bench] of benchmarks) {
    console.log(`\n== ${name}`);
    const result = await bench.run();
    if (result.ratio !== undefined && result.ratio > bench.BUDGET) failed = true;
  }
  process.exit(failed ? 1 : 0);
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
