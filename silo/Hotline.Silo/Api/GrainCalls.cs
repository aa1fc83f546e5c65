using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Hotline.Silo.Api;

/// <summary>
/// Polly pipeline around grain calls from hubs and endpoints: retries with backoff when the silo hosting a grain is
/// gone (<see cref="SiloUnavailableException"/>) or a message was rejected while the cluster re-forms.
/// </summary>
public sealed class GrainCalls
{
    private readonly ResiliencePipeline _pipeline = new ResiliencePipelineBuilder()
        .AddTimeout(TimeSpan.FromSeconds(30))
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<SiloUnavailableException>().Handle<OrleansMessageRejectionException>(),
            MaxRetryAttempts = 8,
            Delay = TimeSpan.FromMilliseconds(200),
            BackoffType = DelayBackoffType.Exponential,
            MaxDelay = TimeSpan.FromSeconds(3),
            UseJitter = true,
        })
        .Build();

    public async Task<T> Run<T>(Func<Task<T>> call, CancellationToken cancellationToken = default)
        => await _pipeline.ExecuteAsync(async _ => await call(), cancellationToken);

    public async Task Run(Func<Task> call, CancellationToken cancellationToken = default)
        => await _pipeline.ExecuteAsync(async _ => await call(), cancellationToken);
}
