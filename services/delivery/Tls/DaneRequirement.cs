using Pipeline.Infrastructure.Dns;

namespace Pipeline.Delivery.Tls;

/// <summary>
/// What DANE demands of a connection to one server (RFC 7672 §2.2): nothing (no validated
/// TLSA records: TLS as the other options say), TLS without authentication (a validated TLSA
/// record set none of whose records SMTP can use), or TLS authenticated by the usable records
/// alone. Two requirements are equal when they demand the same: a connection secured under one
/// may carry mail under the other.
/// </summary>
public sealed class DaneRequirement : IEquatable<DaneRequirement>
{
    private readonly string _text;

    private DaneRequirement(IReadOnlyList<TlsaRecord> records, bool requiresTls)
    {
        Records = records;
        RequiresTls = requiresTls;
        _text = !requiresTls ? "none" : records.Count == 0 ? "tls" : string.Join(' ', records.Select(r => r.ToString()).Order(StringComparer.Ordinal));
    }

    /// <summary>No DANE: no validated TLSA records, or DANE is not used with the server.</summary>
    public static DaneRequirement None { get; } = new([], false);

    /// <summary>A validated TLSA record set with no usable record: TLS required, not authenticated (RFC 7672 §2.2).</summary>
    public static DaneRequirement TlsOnly { get; } = new([], true);

    /// <summary>TLS required and authenticated by <paramref name="usable"/> alone.</summary>
    public static DaneRequirement Authenticate(IReadOnlyList<TlsaRecord> usable) =>
        usable.Count > 0 ? new DaneRequirement(usable, true) : throw new ArgumentException("no usable TLSA records", nameof(usable));

    /// <summary>The usable, validated TLSA records that authenticate the server; empty when none do.</summary>
    public IReadOnlyList<TlsaRecord> Records { get; }

    /// <summary>True when the server gets mail only over TLS.</summary>
    public bool RequiresTls { get; }

    /// <inheritdoc />
    public bool Equals(DaneRequirement? other) => other is not null && _text == other._text;

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as DaneRequirement);

    /// <inheritdoc />
    public override int GetHashCode() => _text.GetHashCode(StringComparison.Ordinal);

    /// <summary><c>none</c>, <c>tls</c>, or the records in zone-file form.</summary>
    public override string ToString() => _text;
}
