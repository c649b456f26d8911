import { RemovalPolicy, Tags } from 'aws-cdk-lib';
import {
  CfnEIP,
  FlowLogDestination,
  FlowLogTrafficType,
  NatProvider,
  SecurityGroup,
  type SubnetSelection,
  SubnetType,
  Vpc,
} from 'aws-cdk-lib/aws-ec2';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface FixedEgressProps {
  /**
   * NAT gateways, each in its own Availability Zone with its own Elastic IP (so as many egress IPs).
   * 2 keeps platform calls working when one zone fails, at twice the cost.
   * @default 1
   */
  natGateways?: number;
  /** Retention of the VPC flow logs. @default RetentionDays.ONE_MONTH */
  logRetention?: RetentionDays;
}

/**
 * A fixed egress for the functions that call platforms: a VPC over two Availability Zones whose private
 * subnets reach the internet only through NAT gateways, each on an Elastic IP allocated here, so the
 * addresses are stack outputs before the first call and stay while the stack lives. WeCom apps created
 * after 2022-06-20 accept API calls only from the trusted IPs set in the app (errcode 60020 otherwise),
 * and a Lambda function outside a VPC has no fixed address.
 */
export class FixedEgress extends Construct {
  readonly vpc: Vpc;
  /** Where the functions run: the private subnets, routed through the NAT gateways. */
  readonly subnets: SubnetSelection = { subnetType: SubnetType.PRIVATE_WITH_EGRESS };
  /** The functions' security group: no inbound rule. */
  readonly securityGroup: SecurityGroup;
  /** The public IPv4 addresses all of the functions' outbound traffic leaves from. */
  readonly ips: string[];

  constructor(scope: Construct, id: string, props: FixedEgressProps = {}) {
    super(scope, id);
    const natGateways = props.natGateways ?? 1;
    if (!Number.isInteger(natGateways) || natGateways < 1 || natGateways > 2) {
      throw new Error(`natGateways must be 1 or 2 (one per Availability Zone of the VPC), got ${natGateways}`);
    }

    // Allocated here rather than by the NAT gateways, so the stack knows (and outputs) the addresses.
    const eips = Array.from({ length: natGateways }, (_, index) => {
      const eip = new CfnEIP(this, `Ip${index + 1}`, { domain: 'vpc' });
      Tags.of(eip).add('Name', `${this.node.path}/Ip${index + 1}`);
      return eip;
    });
    this.ips = eips.map((eip) => eip.attrPublicIp);

    this.vpc = new Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways,
      natGatewayProvider: NatProvider.gateway({ eipAllocationIds: eips.map((eip) => eip.attrAllocationId) }),
      subnetConfiguration: [
        // Only the NAT gateways live here, on their own Elastic IPs: nothing else gets a public address.
        { name: 'Public', subnetType: SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
        { name: 'Functions', subnetType: SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
      ],
    });
    const flowLogs = new LogGroup(this, 'FlowLogs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.vpc.addFlowLog('FlowLog', { destination: FlowLogDestination.toCloudWatchLogs(flowLogs), trafficType: FlowLogTrafficType.ALL });

    this.securityGroup = new SecurityGroup(this, 'FunctionsSecurityGroup', {
      vpc: this.vpc,
      description: 'imhub: functions that call platforms; no inbound, all outbound',
      // Any port, not only 443: an integration's apiBaseUrl (a proxy or private deployment) may name one.
      allowAllOutbound: true,
    });
  }
}
