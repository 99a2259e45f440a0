// SHA-512 crypt vectors made with Debian's mkpasswd 5.5.17 (package whois), e.g.
//   mkpasswd -m sha-512 -S saltsalt password
//   mkpasswd -m sha-512 -R 1000 -S shortsal stockade
// (the password is the last argument; '' for the empty one).
export const CRYPT_VECTORS: ReadonlyArray<{ password: string; hash: string }> = [
  { password: 'password', hash: '$6$saltsalt$qFmFH.bQmmtXzyBY0s9v7Oicd2z4XSIecDzlB5KiA2/jctKu9YterLp8wwnSq.qc.eoxqOmSuNp2xS0ktL3nh/' },
  { password: 'secret', hash: '$6$abcdefghijklmnop$J/AWykHqo2Tx5UtavGnFc3ytI33la50JpzLTarSWVhkIXK6wOjNwwZjsrIw2UgmrER2EKrSHCeQyAINEEXAk1/' },
  { password: 'stockade', hash: '$6$rounds=1000$shortsal$GANYI083Z8luHJ7C5riV4vtC79HPN6er2H5bH7lSl/YJovwo89llKHzSCkcrVzQyL.quYtYFfNOm1u36wZoJ/1' },
  { password: 'pw5', hash: '$6$rounds=5000$roundsfive$MMx0DjhB1EolQQj2eKka2Xa1SYJUpBqfKSDo.FxePNwqUfZG7JL6og7GlpgxSPLK7R3EqRwYFobP46NF.UxVo0' },
  { password: 'Pa55w0rd!', hash: '$6$rounds=12345$12345678$nxMAI9av2vHGE.9lnG3qBY1hsUQemd2ZyXmMy5yuZHyOy8qIxWajur5xtOXA3RfYn1FeUT1avHrm3.8i1YdYe1' },
  { password: 'correct-horse-battery-staple-correct-horse-battery-staple-correct-horse-battery-staple-correct-horse', hash: '$6$0123456789abcdef$geqidKK7wRhQBglzAydmv7Cs8XjxuwB0GvHq9FZQJ1DjnpoUtfHEAqcr6si.0YaZgC4mk4tUUnIf9kIkcQBiQ/' },
  { password: 'pässwörd', hash: '$6$UTF8salt$eWyfIPZU7IjBeh7bCH20ToHdIrwfTza2mXEsVXowikynhQIPhR0l/bTDZSif0F5NuHd4szVx/KTpFxyW7.06u0' },
  { password: '', hash: '$6$emptypw0$CfRF29pencAZPwoI0prLLjpWMxpWihghc9RkAzDAqzsKemy15gfXQLXZoqN9JOBa/rL5MwAu6HQsBVy7.4gaO0' },
];
