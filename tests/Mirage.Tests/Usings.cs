global using Xunit;
// Test doubles and fixtures every test class may use (fake tasks, corpus files, a temporary directory per test).
global using Mirage.Tests.Fakes;
