DROP TABLE network_invitations;
