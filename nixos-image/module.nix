# services.thebacknd-agent: runs the thebacknd VM agent (agent/thebacknd-agent, DESIGN §5) on an
# EC2 instance launched by thebacknd's `create`:
#
#   thebacknd-deadline.service  at boot, schedules `thebacknd-agent destroy-self` at the VM's
#                               expires_at as a transient timer (thebacknd-expire.timer)
#   thebacknd-agent.service     once the system is up, `thebacknd-agent boot`: fetch, verify and
#                               switch to the requested toplevel (or run the program), reporting
#                               each phase
#
# Both must survive the switch they cause, including one to a toplevel that does not contain
# this module at all; the comments below say how.
{
  config,
  lib,
  pkgs,
  utils,
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

  # ExecStart's own quoting (utils.escapeSystemdExecArgs, nixos/lib/utils.nix): systemd
  # would expand % and $ in a plain shell-quoted string.
  bootCommand = utils.escapeSystemdExecArgs (
    [
      agent
      "boot"
      "--on-failure"
      cfg.onFailure
    ]
    ++ lib.concatLists (
      lib.mapAttrsToList (name: value: [
        "--nix-option"
        name
        (settingValue value)
      ]) cfg.nixSettings
    )
  );

  # Only set for local try-outs (qemu.nix); on EC2 the agent's default is the real IMDS.
  imdsEnvironment = lib.optionalAttrs (cfg.imdsUrl != null) { THEBACKND_IMDS_URL = cfg.imdsUrl; };

  scheduleDeadline = pkgs.writeShellApplication {
    name = "thebacknd-schedule-deadline";
    runtimeInputs = [
      cfg.package
      pkgs.coreutils
      pkgs.jq
      config.systemd.package
    ];
    text = ''
      expires_at=$(thebacknd-agent status --json | jq -r .expires_at)
      deadline=$(date -u -d "$expires_at" +%s)

      # The timer's service runs the agent from the base image's store path; keep that path
      # alive even after a switch to a toplevel that does not refer to it.
      ln -sfn ${cfg.package} /nix/var/nix/gcroots/thebacknd-agent

      if (( deadline > $(date -u +%s) )); then
        when=(--on-calendar "$(date -u -d "@$deadline" '+%Y-%m-%d %H:%M:%S UTC')")
      else
        when=(--on-active 1s) # already past its deadline (a late boot): go now
      fi
      systemctl stop thebacknd-expire.timer 2>/dev/null || true
      # A transient unit (/run/systemd/transient), not one in /etc/systemd/system:
      # switch-to-configuration only stops units whose file is in the old /etc/systemd/system
      # and missing from the new one, so this timer outlives a switch to any toplevel.
      systemd-run --unit thebacknd-expire --description "thebacknd: destroy this VM at its deadline" \
        --timer-property AccuracySec=1s "''${when[@]}" \
        ${lib.concatMapStringsSep " " (n: "--setenv ${n}=${lib.escapeShellArg imdsEnvironment.${n}}") (lib.attrNames imdsEnvironment)} \
        ${agent} destroy-self
      echo "thebacknd: this VM destroys itself at $expires_at"
    '';
  };
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
        detail first): `stay` keeps it up until its deadline for debugging (SSH in, read
        `journalctl -u thebacknd-agent`); `destroy` destroys it at once.
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
        assertion = lib.all (name: !(cfg.nixSettings ? ${name})) reservedSettings;
        message = "services.thebacknd-agent.nixSettings may not set ${lib.concatStringsSep ", " reservedSettings}: they come from the VM's user-data.";
      }
    ];

    environment.systemPackages = [ cfg.package ];

    systemd.services.thebacknd-deadline = {
      description = "thebacknd: schedule this VM's self-destruction at its deadline";
      wantedBy = [ "multi-user.target" ];
      wants = [ "network-online.target" ];
      after = [ "network-online.target" ];
      environment = imdsEnvironment;
      # Never restarted or stopped by a switch (see thebacknd-agent below).
      restartIfChanged = false;
      unitConfig.X-StopOnRemoval = false;
      serviceConfig = {
        Type = "oneshot";
        RemainAfterExit = true;
        ExecStart = lib.getExe scheduleDeadline;
        StandardOutput = "journal+console";
      };
    };

    systemd.services.thebacknd-agent = {
      description = "thebacknd: fetch and switch to this VM's toplevel, or run its program";
      wantedBy = [ "multi-user.target" ];
      wants = [ "network-online.target" ];
      # Ordered AFTER multi-user.target, not before it (the default for a unit a target wants).
      # switch-to-configuration starts the new system's units by (re)starting the targets that
      # are active (nixos/doc/manual/development/unit-handling.section.md). In the proof of
      # concept the switching unit ran before multi-user.target was reached, so the target was
      # still waiting for it, was not active, and services new in the toplevel (nginx) never
      # started. Here multi-user.target is active when the switch runs, so they do. Being wanted
      # by a target it is ordered after keeps this unit in the boot transaction without the
      # target waiting on it (systemd adds no implicit Before= when that would make a loop).
      # nixpkgs' own amazon-init.nix does the same for `nixos-rebuild switch` at boot.
      after = [
        "multi-user.target"
        "network-online.target"
        "thebacknd-deadline.service"
      ];
      environment = {
        # Nix keeps its download cache under $HOME; systemd sets none for a root service.
        HOME = "/root";
      } // imdsEnvironment;
      # The switch this unit performs must never stop or restart the unit itself:
      # - restartIfChanged = false: a new toplevel that also has this unit (changed) leaves it be;
      # - X-StopOnRemoval = false: a new toplevel without this unit does not stop it mid-switch.
      restartIfChanged = false;
      unitConfig.X-StopOnRemoval = false;
      serviceConfig = {
        Type = "oneshot";
        # Stays "active" once done, so a later switch (re)starting multi-user.target does not
        # run `boot` again and undo a switch the user made by hand.
        RemainAfterExit = true;
        ExecStart = bootCommand;
        # Phases, Nix's progress and a program's output on the serial console
        # (EC2: "Get system log"), as well as in the journal.
        StandardOutput = "journal+console";
        StandardError = "journal+console";
        # Fetching a large closure can take long; the deadline timer bounds the VM anyway.
        TimeoutStartSec = "infinity";
      };
    };
  };
}
