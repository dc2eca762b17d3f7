namespace Mirage.Tests.Fakes;

/// <summary>
/// A test class whose every test gets a fresh temporary directory (xunit makes one instance per test), named after
/// the class so that a directory left by a crashed run says where it came from, and removed when the test ends.
/// </summary>
public abstract class TempDirectoryTests : IDisposable
{
    protected string Dir { get; }

    protected TempDirectoryTests() => Dir = Directory.CreateTempSubdirectory($"mirage-{GetType().Name}-").FullName;

    public virtual void Dispose()
    {
        Directory.Delete(Dir, true);
        GC.SuppressFinalize(this);
    }
}
