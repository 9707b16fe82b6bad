package thebacknd.vm;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.awscore.AwsRequestOverrideConfiguration;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.CreateTagsRequest;
import software.amazon.awssdk.services.ec2.model.DescribeInstancesRequest;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.GetConsoleOutputResponse;
import software.amazon.awssdk.services.ec2.model.HttpTokensState;
import software.amazon.awssdk.services.ec2.model.IamInstanceProfileSpecification;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.InstanceInterruptionBehavior;
import software.amazon.awssdk.services.ec2.model.InstanceMarketOptionsRequest;
import software.amazon.awssdk.services.ec2.model.InstanceMetadataEndpointState;
import software.amazon.awssdk.services.ec2.model.InstanceMetadataOptionsRequest;
import software.amazon.awssdk.services.ec2.model.InstanceMetadataTagsState;
import software.amazon.awssdk.services.ec2.model.MarketType;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ec2.model.RunInstancesRequest;
import software.amazon.awssdk.services.ec2.model.ShutdownBehavior;
import software.amazon.awssdk.services.ec2.model.SpotInstanceType;
import software.amazon.awssdk.services.ec2.model.SpotMarketOptions;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.model.TagSpecification;
import software.amazon.awssdk.services.ec2.model.TerminateInstancesRequest;
import thebacknd.aws.AwsErrors;
import thebacknd.aws.Retries;

/**
 * Our VMs as EC2 holds them. Every read filters on {@code thebacknd=true} and checks the tag again
 * in code, so a {@link Vm} only ever stands for one of ours; every write takes {@link Vm}s, so
 * nothing without our tag can be terminated or tagged.
 */
public final class Fleet {

  /** Instance ids per TerminateInstances call; one call per batch instead of one per VM. */
  static final int TERMINATE_BATCH = 1000;
  /** The largest page DescribeInstances allows. */
  static final int PAGE_SIZE = 1000;

  private static final Filter OURS = Filter.builder().name("tag:" + VmTags.OURS).values(VmTags.OURS_VALUE).build();

  private final Ec2Client ec2;
  private final Duration bootTimeout;
  private final VmFromInstance vmFromInstance;

  /**
   * @param defaultTtl how long an instance missing its {@code thebacknd:expires-at} tag lives
   * @param bootTimeout {@code THEBACKND_BOOT_TIMEOUT_MINUTES}: when a silent VM is unresponsive
   */
  public Fleet(Ec2Client ec2, Duration defaultTtl, Duration bootTimeout) {
    this.ec2 = ec2;
    this.bootTimeout = bootTimeout;
    this.vmFromInstance = new VmFromInstance(defaultTtl, bootTimeout);
  }

  /** Every live VM of ours, all pages read, ordered by name number. */
  public List<Vm> live(Instant now) {
    return describe(now, List.of(), Optional.empty());
  }

  /** The live VM(s) carrying this vm_id (normally one; none once it is gone). */
  public List<Vm> liveWithVmId(String vmId, Instant now) {
    return withVmId(vmId, now, Optional.empty());
  }

  /**
   * The live VM(s) a launch of this vm_id made, within a create's time budget: after an uncertain
   * RunInstances, what it may have launched after all (none yet when EC2 does not show it yet).
   */
  public List<Vm> launchedAs(String vmId, Instant now) {
    return withVmId(vmId, now, Optional.of(Retries.EC2_QUICK));
  }

  private List<Vm> withVmId(String vmId, Instant now, Optional<AwsRequestOverrideConfiguration> override) {
    Filter tagged = Filter.builder().name("tag:" + VmTags.VM_ID).values(vmId).build();
    return describe(now, List.of(tagged), override).stream()
        // What is terminated on this answer: the tag filter is the server's promise; this is ours.
        .filter(vm -> vmId.equals(vm.vmId()))
        .toList();
  }

  /**
   * The instance(s) of this vm_id in any state, {@code shutting-down} and {@code terminated}
   * included: what tells a lease's VM not yet visible from one that is gone.
   */
  public List<Vm> withVmIdInAnyState(String vmId, Instant now) {
    Filter tagged = Filter.builder().name("tag:" + VmTags.VM_ID).values(vmId).build();
    DescribeInstancesRequest request =
        DescribeInstancesRequest.builder().filters(OURS, tagged).maxResults(PAGE_SIZE).build();
    return read(request, now).stream().filter(vm -> vmId.equals(vm.vmId())).toList();
  }

  /** Every instance of ours in any state, with the client's own retries: what {@code list} reads. */
  public List<Vm> everything(Instant now) {
    return read(DescribeInstancesRequest.builder().filters(OURS).maxResults(PAGE_SIZE).build(), now).stream()
        .sorted(BY_NAME)
        .toList();
  }

  /**
   * Every instance of ours in any state, {@code shutting-down} and {@code terminated} included:
   * what a create needs to tell a gone VM from one not yet visible. Within a create's time budget.
   */
  public List<Vm> ours(Instant now) {
    DescribeInstancesRequest request =
        DescribeInstancesRequest.builder()
            .filters(OURS)
            .maxResults(PAGE_SIZE)
            .overrideConfiguration(Retries.EC2_QUICK)
            .build();
    return read(request, now);
  }

  public Vm launch(LaunchSettings settings, Launch launch, Instant now) {
    RunInstancesRequest request = runInstances(settings, launch).toBuilder().overrideConfiguration(Retries.EC2_QUICK).build();
    Instance instance = AwsErrors.call("EC2", "RunInstances", () -> ec2.runInstances(request)).instances().get(0);
    return vmFromInstance.of(instance, now)
        .orElseThrow(() -> new IllegalStateException("EC2 launched " + instance.instanceId() + " without our tag"));
  }

  /**
   * The RunInstances call for one launch: locked down (DESIGN §5) and tagged in the call itself;
   * on spot, a one-time request that terminates the instance when AWS interrupts it, tagged too.
   */
  static RunInstancesRequest runInstances(LaunchSettings settings, Launch launch) {
    List<Tag> tags = launch.tags().entrySet().stream().map(e -> tag(e.getKey(), e.getValue())).toList();
    List<TagSpecification> tagged = new ArrayList<>(List.of(
        TagSpecification.builder().resourceType(ResourceType.INSTANCE).tags(tags).build(),
        TagSpecification.builder().resourceType(ResourceType.VOLUME).tags(tags).build()));
    String userData = launch.userData(settings).toJson();
    RunInstancesRequest.Builder request =
        RunInstancesRequest.builder()
            .imageId(settings.imageId())
            .instanceType(launch.instanceType())
            .minCount(1)
            .maxCount(1)
            // Retries of this call by the SDK launch nothing twice.
            .clientToken(launch.clientToken())
            .userData(Base64.getEncoder().encodeToString(userData.getBytes(StandardCharsets.UTF_8)))
            .metadataOptions(
                InstanceMetadataOptionsRequest.builder()
                    .httpEndpoint(InstanceMetadataEndpointState.ENABLED)
                    .httpTokens(HttpTokensState.REQUIRED)
                    .httpPutResponseHopLimit(1)
                    .instanceMetadataTags(InstanceMetadataTagsState.ENABLED)
                    .build())
            .instanceInitiatedShutdownBehavior(ShutdownBehavior.TERMINATE);
    if (launch.spot()) {
      request.instanceMarketOptions(
          InstanceMarketOptionsRequest.builder()
              .marketType(MarketType.SPOT)
              .spotOptions(
                  SpotMarketOptions.builder()
                      .spotInstanceType(SpotInstanceType.ONE_TIME)
                      .instanceInterruptionBehavior(InstanceInterruptionBehavior.TERMINATE)
                      .build())
              .build());
      // The create role may request spot only with our tag on the request (template.yaml).
      tagged.add(TagSpecification.builder().resourceType(ResourceType.SPOT_INSTANCES_REQUEST).tags(tags).build());
    }
    request.tagSpecifications(tagged);
    settings.instanceProfile().ifPresent(p -> request.iamInstanceProfile(profile(p)));
    settings.subnetId().ifPresent(request::subnetId);
    if (!settings.securityGroupIds().isEmpty()) {
      request.securityGroupIds(settings.securityGroupIds());
    }
    settings.keyName().ifPresent(request::keyName);
    return request.build();
  }

  /** Terminates the given VMs in batches; returns their instance ids. */
  public List<String> terminate(Collection<Vm> vms) {
    return terminate(vms, Optional.empty());
  }

  /** Terminates VMs a create has just launched, within the create's time budget. */
  public void withdraw(Collection<Vm> vms) {
    terminate(vms, Optional.of(Retries.EC2_QUICK));
  }

  private List<String> terminate(Collection<Vm> vms, Optional<AwsRequestOverrideConfiguration> override) {
    List<String> ids = vms.stream().map(Vm::instanceId).distinct().toList();
    for (int from = 0; from < ids.size(); from += TERMINATE_BATCH) {
      TerminateInstancesRequest.Builder request =
          TerminateInstancesRequest.builder().instanceIds(ids.subList(from, Math.min(ids.size(), from + TERMINATE_BATCH)));
      override.ifPresent(request::overrideConfiguration);
      AwsErrors.call("EC2", "TerminateInstances", () -> ec2.terminateInstances(request.build()));
    }
    return ids;
  }

  /** The VM after its deadline moved to {@code expiresAt} (extend), judged again at {@code now}. */
  Vm withDeadline(Vm vm, Instant expiresAt, Instant now) {
    return vm.withDeadline(expiresAt, DestroyReason.of(vm.since(), expiresAt, vm.phase(), now, bootTimeout, false));
  }

  /** Sets tags on one VM's instance (not on its volumes: the phase is about the machine). */
  public void tag(Vm vm, Map<String, String> tags) {
    List<Tag> list = tags.entrySet().stream().map(e -> tag(e.getKey(), e.getValue())).toList();
    AwsErrors.call("EC2", "CreateTags", () -> ec2.createTags(CreateTagsRequest.builder().resources(vm.instanceId()).tags(list).build()));
  }

  /** The serial console of one VM's instance, as EC2 last captured it (GetConsoleOutput, Latest). */
  public ConsoleService.Console console(Vm vm) {
    GetConsoleOutputResponse answer =
        AwsErrors.call("EC2", "GetConsoleOutput", () -> ec2.getConsoleOutput(r -> r.instanceId(vm.instanceId()).latest(true)));
    String output =
        answer.output() == null ? "" : new String(Base64.getMimeDecoder().decode(answer.output()), StandardCharsets.UTF_8);
    return new ConsoleService.Console(vm.name(), vm.vmId(), vm.instanceId(), answer.timestamp(), output);
  }

  /** Our live VMs matching {@code extra}; {@code override}: other retries than the client's. */
  private List<Vm> describe(Instant now, List<Filter> extra, Optional<AwsRequestOverrideConfiguration> override) {
    List<Filter> filters = new ArrayList<>();
    filters.add(OURS);
    filters.add(Filter.builder().name("instance-state-name").values(VmTags.LIVE_STATES).build());
    filters.addAll(extra);
    DescribeInstancesRequest.Builder request = DescribeInstancesRequest.builder().filters(filters).maxResults(PAGE_SIZE);
    override.ifPresent(request::overrideConfiguration);
    return read(request.build(), now).stream()
        // The filter above is the server's promise; this is ours.
        .filter(vm -> VmTags.LIVE_STATES.contains(vm.state()))
        .sorted(BY_NAME)
        .toList();
  }

  /** Every page of a DescribeInstances, as VMs; an instance without our tag is none. */
  private List<Vm> read(DescribeInstancesRequest request, Instant now) {
    return AwsErrors.call(
        "EC2",
        "DescribeInstances",
        () ->
            ec2.describeInstancesPaginator(request).reservations().stream()
                .flatMap(r -> r.instances().stream())
                .map(i -> vmFromInstance.of(i, now))
                .flatMap(Optional::stream)
                .toList());
  }

  static final Comparator<Vm> BY_NAME =
      Comparator.comparing((Vm vm) -> vm.number().orElse(Integer.MAX_VALUE))
          .thenComparing(vm -> vm.name() == null ? "" : vm.name())
          .thenComparing(Vm::instanceId);

  private static IamInstanceProfileSpecification profile(String nameOrArn) {
    return nameOrArn.startsWith("arn:")
        ? IamInstanceProfileSpecification.builder().arn(nameOrArn).build()
        : IamInstanceProfileSpecification.builder().name(nameOrArn).build();
  }

  private static Tag tag(String key, String value) {
    return Tag.builder().key(key).value(value).build();
  }
}
