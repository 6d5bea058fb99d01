using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Generators;

namespace Aetherium.Lease.Leases;

/// <summary>
/// The password of a lease rented without an SSH key: random, shown to the tenant once, stored only as a
/// bcrypt hash — a slow salted hash in the crypt(3) format Linux accepts, so a VM's account can be given it as is.
/// </summary>
public static class Passwords
{
    /// <summary>No look-alike characters (0/O, 1/l/I): the tenant may have to type it.</summary>
    private const string Alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    /// <summary>20 characters of 57: about 116 bits.</summary>
    private const int Length = 20;
    private const int BcryptCost = 10;

    public static string Generate() => RandomNumberGenerator.GetString(Alphabet, Length);

    public static string Hash(string password) =>
        OpenBsdBCrypt.Generate("2b", password.ToCharArray(), RandomNumberGenerator.GetBytes(16), BcryptCost);
}
