using Pipeline.Fuzz;
using SharpFuzz;

// Usage:
//   Pipeline.Fuzz <target>                 run under afl-fuzz (SharpFuzz's out-of-process loop)
//   Pipeline.Fuzz <target> --replay <dir>  run every file of <dir> through the target here
//   Pipeline.Fuzz --list                   print the targets' names
if (args is ["--list"])
{
    foreach (var name in FuzzTargets.All.Keys)
        Console.WriteLine(name);
    return 0;
}

if (args.Length == 0 || !FuzzTargets.All.TryGetValue(args[0], out var target))
{
    Console.Error.WriteLine($"usage: Pipeline.Fuzz <target> [--replay <dir>]; targets: {string.Join(", ", FuzzTargets.All.Keys)}");
    return 2;
}

if (args is [_, "--replay", var directory])
    return CorpusReplay.Run(args[0], target, directory);

Fuzzer.OutOfProcess.Run(stream =>
{
    using var copy = new MemoryStream();
    stream.CopyTo(copy);
    target(copy.ToArray());
});
return 0;
