# services.thebacknd-agent: runs the thebacknd VM agent (agent/thebacknd-agent) on an EC2
# instance launched by thebacknd's `create`, with the units of agent/units.nix (the deadline
# timer, `boot`, the spot watcher: defined there once, as plain data, so the QEMU lab runs the
# same ones), the flake registry's `nixpkgs` pinned to this system's own nixpkgs (for a Nix
# shell on the VM), and with restrictMetadata the nftables table of agent/metadata-guard.nft (only
# root reaches the instance metadata service).
#
# All must survive the switch the agent causes, including one to a toplevel that does not
# contain this module at all; units.nix and the comments below say how.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  cfg = config.services.thebacknd-agent;
  agent = lib.getExe cfg.package;

  # The agent passes the user-data's cache and key itself; these must not be overridable.
  reservedSettings = [
    "substituters"
    "extra-substituters"
    "trusted-substituters"
    "trusted-public-keys"
    "extra-trusted-public-keys"
    "require-sigs"
  ];

  settingValue =
    value:
    if lib.isBool value then
      lib.boolToString value
    else if lib.isList value then
      lib.concatMapStringsSep " " toString value
    else
      toString value;

  # `boot`'s options; units.nix writes them into ExecStart with systemd's quoting.
  bootArguments = [
    "--on-failure"
    cfg.onFailure
  ]
  ++ lib.concatLists (
    lib.mapAttrsToList (name: value: [
      "--nix-option"
      name
      (settingValue value)
    ]) cfg.nixSettings
  );

  # Only set for local try-outs (qemu.nix); on EC2 the agent's default is the real IMDS.
  imdsEnvironment = lib.optionalAttrs (cfg.imdsUrl != null) { THEBACKND_IMDS_URL = cfg.imdsUrl; };

  units = import ./agent/units.nix {
    inherit agent bootArguments;
    environment = imdsEnvironment;
  };

  # The metadata guard: networking.nftables.tables takes a table's body and deletes and re-adds
  # the table itself on every (re)load; the file is the whole table, for `nft -f` elsewhere, so
  # its body is what lies between its opening line and its last line, "}".
  guardTable = "thebacknd_metadata_guard";
  guardFile = builtins.readFile ./agent/metadata-guard.nft;
  guardOpening = "table inet ${guardTable} {\n";
  guardParts = builtins.filter builtins.isString (builtins.split "table inet ${guardTable} \\{\n" guardFile);
  guardRest = lib.last guardParts;
  guardClosed = builtins.substring (builtins.stringLength guardRest - 2) 2 guardRest == "}\n";
  guardBody = builtins.substring 0 (builtins.stringLength guardRest - 2) guardRest;
in
{
  options.services.thebacknd-agent = {
    enable = lib.mkEnableOption "the thebacknd VM agent, which switches this VM to the toplevel (or runs the program) named in its EC2 user-data and destroys it at its deadline";

    package = lib.mkOption {
      type = lib.types.package;
      default = pkgs.callPackage ./agent/package.nix { nix = config.nix.package; };
      defaultText = lib.literalExpression "pkgs.callPackage ./agent/package.nix { nix = config.nix.package; }";
      description = "The thebacknd-agent package to run.";
    };

    nixSettings = lib.mkOption {
      type =
        with lib.types;
        attrsOf (oneOf [
          bool
          int
          str
          (listOf str)
        ]);
      default = { };
      example = {
        connect-timeout = 5;
        http-connections = 50;
      };
      description = ''
        Extra Nix settings for fetching the closure, passed as `--option NAME VALUE`.
        The substituter, the trusted public keys and `require-sigs` always come from the
        VM's user-data and cannot be set here.
      '';
    };

    onFailure = lib.mkOption {
      type = lib.types.enum [
        "stay"
        "destroy"
      ];
      default = "stay";
      description = ''
        What the VM does when `boot` fails (it always reports phase `failed` with a one-line
        detail first): `stay` keeps it up for debugging (SSH in, read
        `journalctl -u thebacknd-agent`) for the user-data's `failed_keep_minutes`
        (THEBACKND_FAILED_KEEP_MINUTES), never past its deadline; `destroy` destroys it at once.
      '';
    };

    restrictMetadata = lib.mkOption {
      type = lib.types.bool;
      default = true;
      description = ''
        Only root may reach the instance metadata service: nftables drops every connection
        to it (IPv4 and IPv6) made by any other user, so a compromised service cannot read
        the VM's kill code (in the user-data) nor the instance role's credentials. The rules
        are agent/metadata-guard.nft; this turns on networking.nftables.
      '';
    };

    imdsUrl = lib.mkOption {
      type = lib.types.nullOr lib.types.str;
      default = null;
      example = "http://10.0.2.2:8169";
      description = ''
        Instance metadata service to read the user-data from, for local try-outs outside EC2
        (see qemu.nix). `null` uses the agent's default, EC2's own.
      '';
    };
  };

  config = lib.mkIf cfg.enable {
    assertions = [
      {
        assertion = builtins.length guardParts == 2 && guardClosed;
        message = "agent/metadata-guard.nft must hold one table, opened by \"${guardOpening}\" and closed by its last line, \"}\".";
      }
      {
        assertion = lib.all (name: !(cfg.nixSettings ? ${name})) reservedSettings;
        message = "services.thebacknd-agent.nixSettings may not set ${lib.concatStringsSep ", " reservedSettings}: they come from the VM's user-data.";
      }
    ];

    environment.systemPackages = [ cfg.package ];

    # A Nix shell on the VM (nix_packages) realises `nixpkgs#P` through the system flake registry
    # (/etc/nix/registry.json): its `nixpkgs` entry is pinned to the nixpkgs this system was built
    # from, so nothing drifts and nothing is evaluated from the network. nixpkgs' own module
    # (misc/nixpkgs-flake.nix) writes that entry from nixpkgs.flake.source, which
    # nixpkgs.lib.nixosSystem sets for a flake; without flakes (default.nix) it would be null, so
    # the same sources are named here, as a store path called "source" (the name Nix gives a
    # path: flake it copies, so it copies nothing).
    nixpkgs.flake.source = lib.mkDefault (
      builtins.path {
        path = pkgs.path;
        name = "source";
      }
    );
    nixpkgs.flake.setFlakeRegistry = true;

    # The units, and what only NixOS knows: restartIfChanged = false, so a new toplevel that
    # also has a unit, changed, leaves the running one be.
    systemd.services = lib.mapAttrs (_: unit: unit // { restartIfChanged = false; }) units;

    networking.nftables = lib.mkIf cfg.restrictMetadata {
      enable = true;
      tables.${guardTable} = {
        family = "inet";
        content = guardBody;
      };
    };
  };
}
