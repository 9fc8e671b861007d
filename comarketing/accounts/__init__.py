"""Accounts: organizations, their people, signing in and out.

- ``validation``: cleaning emails, names, passwords and roles.
- ``registration``: sign-up (an organization and its first admin) and operator-made accounts.
- ``signin``: signing in and out, the user behind a session token; ``sessions`` wires it to
  Flask-Login.
- ``credentials``: changing a password and the emailed reset link; ``passwords`` hashes.
- ``invitations``: inviting colleagues and accepting an invitation.
- ``members``: colleagues' roles and activation, and the organization's audit log.
"""
