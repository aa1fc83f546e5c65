namespace Hotline.Domain;

/// <summary>
/// A set of lawyers for one matching pass (<see cref="RoutingEngine"/>): membership is a stamp on the lawyer's index record
/// (<see cref="RoutingIndex.LawyerRecord"/>), so adding and testing touch no hash table and clearing is a new stamp.
/// </summary>
/// <remarks>A pass asks these sets about every lawyer with room that a fresh entry may go to (dozens per command at
/// 10,000 waiting, most of them held for a call); as hash sets they were a cold look-up each, and clearing one removed its
/// members one by one.</remarks>
internal sealed class PassSet(RoutingIndex index, int mark)
{
    private static long s_stamps;
    private readonly List<LawyerSlot> _members = [];
    private long _stamp = Interlocked.Increment(ref s_stamps);

    public int Count => _members.Count;

    public bool Contains(LawyerSlot l) => MarkOf(l) == _stamp;

    public bool Add(LawyerSlot l)
    {
        ref var m = ref MarkOf(l);
        if (m == _stamp) return false;
        m = _stamp;
        _members.Add(l);
        return true;
    }

    private ref long MarkOf(LawyerSlot l)
    {
        var record = index.RecordOf(l);
        return ref mark == 0 ? ref record.Mark0 : ref record.Mark1;
    }

    /// <summary>Empties the set: a new stamp (unique across sets and engines), so no record is visited.</summary>
    public void Clear()
    {
        _members.Clear();
        _stamp = Interlocked.Increment(ref s_stamps);
    }

    public List<LawyerSlot>.Enumerator GetEnumerator() => _members.GetEnumerator();
}
