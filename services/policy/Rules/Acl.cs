using Pipeline.Contracts.Policy;

namespace Pipeline.Policy.Rules;

/// <summary>An ACL statement's verb (Exim specification, "Access control lists").</summary>
public enum AclVerb { Accept, Deny, Defer, Discard, Warn, Require }

/// <summary>One condition or modifier of a statement: <c>[!]name = value</c>, with where it was written.</summary>
public sealed record AclItem(string Name, bool Negated, string Value, int Line);

/// <summary>One statement: a verb and its conditions and modifiers, in the order written.</summary>
public sealed record AclStatement(AclVerb Verb, IReadOnlyList<AclItem> Items, int Line);

/// <summary>The ACLs of a rule file, one per stage; a stage without one accepts.</summary>
public sealed class RuleSet(IReadOnlyDictionary<PolicyStage, IReadOnlyList<AclStatement>> acls)
{
    /// <summary>A rule set with no ACL: everything is accepted.</summary>
    public static RuleSet Empty { get; } = new(new Dictionary<PolicyStage, IReadOnlyList<AclStatement>>());

    /// <summary>The statements of <paramref name="stage"/>, or null when it has no ACL.</summary>
    public IReadOnlyList<AclStatement>? For(PolicyStage stage) => acls.GetValueOrDefault(stage);

    /// <summary>True when some statement of some ACL uses the item <paramref name="name"/>.</summary>
    public bool Uses(string name) => acls.Values.Any(a => a.Any(s => s.Items.Any(i => i.Name == name)));
}
