using System.CommandLine;

namespace Pipeline.Ctl;

/// <summary>The options every command shares: where the API is and the token to show it.</summary>
public sealed record ApiOptions(Option<string> Url, Option<string?> Token)
{
    /// <summary>A client for the API the command line names (its URL was validated as it was parsed).</summary>
    public ApiClient Client(ParseResult parsed) => new(new Uri(parsed.GetValue(Url)!), parsed.GetValue(Token));
}
