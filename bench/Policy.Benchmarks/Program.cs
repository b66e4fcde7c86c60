using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Pipeline.Policy.Benchmarks.PolicyBenchmarks).Assembly).Run(args);
