using JasperFx.Events;
using Marten.Events.Projections;
using Pipeline.Contracts.Events;

namespace Pipeline.Events.Projections;

/// <summary>Keeps a <see cref="RecipientDelivery"/> document per recipient of each message, asynchronously.</summary>
public sealed class RecipientDeliveryProjection : MultiStreamProjection<RecipientDelivery, string>
{
    /// <summary>The projection's name, for rebuilds.</summary>
    public const string ProjectionName = "recipient-delivery";

    /// <summary>Sorts each event to the recipients it names.</summary>
    public RecipientDeliveryProjection()
    {
        Name = ProjectionName;
        Identities<MessageReceived>(e => RecipientDelivery.Concerned(e));
        Identities<RecipientDelivered>(e => RecipientDelivery.Concerned(e));
        Identities<RecipientFailed>(e => RecipientDelivery.Concerned(e));
        Identities<RecipientFailedInternally>(e => RecipientDelivery.Concerned(e));
        Identities<RecipientDeferred>(e => RecipientDelivery.Concerned(e));
        Identities<HostDeferred>(e => RecipientDelivery.Concerned(e));
    }

    /// <inheritdoc />
    public override RecipientDelivery? Evolve(RecipientDelivery? snapshot, string id, IEvent e) => RecipientDelivery.Fold(snapshot, id, e);
}
