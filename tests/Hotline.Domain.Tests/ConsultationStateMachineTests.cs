using S = Hotline.Domain.ConsultationStatus;

namespace Hotline.Domain.Tests;

public class ConsultationStateMachineTests
{
    [Theory]
    [InlineData(S.Queued, S.Offered, true)]
    [InlineData(S.Queued, S.Active, true)]
    [InlineData(S.Queued, S.Abandoned, true)]
    [InlineData(S.Queued, S.Closed, false)]
    [InlineData(S.Offered, S.Queued, true)]
    [InlineData(S.Offered, S.Active, true)]
    [InlineData(S.Offered, S.Abandoned, true)]
    [InlineData(S.Offered, S.Closed, false)]
    [InlineData(S.Active, S.Queued, true)]
    [InlineData(S.Active, S.Closed, true)]
    [InlineData(S.Active, S.Offered, false)]
    [InlineData(S.Active, S.Abandoned, false)]
    [InlineData(S.Queued, S.Queued, false)]
    public void Transitions(S from, S to, bool allowed) => Assert.Equal(allowed, ConsultationStateMachine.CanTransition(from, to));

    [Fact]
    public void TerminalStatesGoNowhere()
    {
        foreach (var from in new[] { S.Closed, S.Abandoned })
        {
            Assert.True(ConsultationStateMachine.IsTerminal(from));
            foreach (var to in Enum.GetValues<S>()) Assert.False(ConsultationStateMachine.CanTransition(from, to));
        }
    }
}
