namespace Hotline.Storage.Tests;

/// <summary>The PostgreSQL tests share one throwaway server (<see cref="PostgresServer"/> of Hotline.Testing).</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "PostgreSQL server";
}
