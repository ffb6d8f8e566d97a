import type { AttributeDefinition } from './attribute-definition.ts';
import type { Catalog } from './catalog.ts';
import { isLookup, isProperty, propertyName } from '../records/record-serializer.ts';
import { oneToManyOf, relationshipName, singleValued } from './relationships.ts';

const principals = new Set(['systemuser', 'team']);

/**
 * `$metadata` as CSDL XML (reference §7): entity types with keys, properties (`_x_value` lookups as
 * Edm.Guid), single-valued navigation properties with referential constraints and their collection-valued
 * partners (one per one-to-many relationship), entity sets and, when
 * annotations are asked for, the change-tracking capability per entity set.
 */
export function csdl(catalog: Catalog, withAnnotations: boolean): string {
  const out: string[] = [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">',
    '<edmx:Reference Uri="http://vocabularies.odata.org/OData.Community.Keys.V1.xml"><edmx:Include Namespace="OData.Community.Keys.V1" Alias="Keys"/></edmx:Reference>',
    '<edmx:Reference Uri="http://docs.oasis-open.org/odata/odata/v4.0/os/vocabularies/Org.OData.Capabilities.V1.xml"><edmx:Include Namespace="Org.OData.Capabilities.V1" Alias="Capabilities"/></edmx:Reference>',
    '<edmx:Reference Uri="http://docs.oasis-open.org/odata/odata/v4.0/os/vocabularies/Org.OData.Core.V1.xml"><edmx:Include Namespace="Org.OData.Core.V1" Alias="Core"/></edmx:Reference>',
    '<edmx:DataServices>',
    '<Schema Namespace="Microsoft.Dynamics.CRM" Alias="mscrm" xmlns="http://docs.oasis-open.org/odata/ns/edm">',
    '<EntityType Name="crmbaseentity" Abstract="true"/>',
    // Owners (systemuser, team) share this base type, the type of every `ownerid` navigation property.
    '<EntityType Name="principal" BaseType="mscrm.crmbaseentity" Abstract="true"/>',
  ];
  for (const entity of catalog.entities.values()) {
    const base = principals.has(entity.logicalName) ? 'principal' : 'crmbaseentity';
    out.push(`<EntityType Name="${entity.logicalName}" BaseType="mscrm.${base}">`);
    out.push(`<Key><PropertyRef Name="${entity.primaryId}"/></Key>`);
    for (const attribute of entity.attributes) {
      if (!isProperty(attribute)) continue;
      const readOnly = !attribute.validForCreate && !attribute.validForUpdate;
      const annotation =
        withAnnotations && (readOnly || isLookup(attribute))
          ? '<Annotation Term="Org.OData.Core.V1.Computed" Bool="true"/><Annotation Term="Org.OData.Core.V1.Permissions"><EnumMember>Org.OData.Core.V1.Permission/Read</EnumMember></Annotation>'
          : '';
      const attrs = `Name="${propertyName(attribute)}" Type="${edmType(attribute)}"${attribute.maxLength && !isLookup(attribute) ? ` MaxLength="${attribute.maxLength}"` : ''}`;
      out.push(annotation ? `<Property ${attrs}>${annotation}</Property>` : `<Property ${attrs}/>`);
    }
    // Single-valued navigation properties, each partnered with the collection on its target (relationships.ts).
    // `ownerid` points at systemuser or team: one property of their common base type, principal.
    for (const nav of entity.navigation.keys()) {
      const single = singleValued(entity, nav)!;
      const targets = single.targets.filter((target) => catalog.entity(target));
      if (targets.length === 0) continue;
      const type = targets.length > 1 ? 'principal' : targets[0];
      const partner =
        targets.length > 1 ? '' : ` Partner="${relationshipName(entity, single.attribute, targets[0])}"`;
      const constraint =
        targets.length > 1
          ? ''
          : `<ReferentialConstraint Property="_${single.attribute.logicalName}_value" ReferencedProperty="${catalog.entity(targets[0])!.primaryId}"/>`;
      out.push(
        `<NavigationProperty Name="${nav}" Type="mscrm.${type}"${partner}>${constraint}</NavigationProperty>`,
      );
    }
    for (const relationship of oneToManyOf(catalog, entity.logicalName).values()) {
      out.push(
        `<NavigationProperty Name="${relationship.name}" Type="Collection(mscrm.${relationship.referencing.logicalName})" Partner="${relationship.navigation}"/>`,
      );
    }
    out.push('</EntityType>');
  }
  out.push(
    '<ComplexType Name="WhoAmIResponse"><Property Name="BusinessUnitId" Type="Edm.Guid" Nullable="false"/><Property Name="UserId" Type="Edm.Guid" Nullable="false"/><Property Name="OrganizationId" Type="Edm.Guid" Nullable="false"/></ComplexType>',
    '<Function Name="WhoAmI"><ReturnType Type="mscrm.WhoAmIResponse" Nullable="false"/></Function>',
    '<Function Name="RetrievePrincipalAttributePrivileges" IsBound="true"><Parameter Name="entityset" Type="mscrm.systemuser" Nullable="false"/><ReturnType Type="mscrm.RetrievePrincipalAttributePrivilegesResponse" Nullable="false"/></Function>',
    '<Action Name="QualifyLead" IsBound="true"><Parameter Name="entity" Type="mscrm.lead" Nullable="false"/><Parameter Name="CreateAccount" Type="Edm.Boolean" Nullable="false"/><Parameter Name="CreateContact" Type="Edm.Boolean" Nullable="false"/><Parameter Name="CreateOpportunity" Type="Edm.Boolean" Nullable="false"/><Parameter Name="OpportunityCurrencyId" Type="mscrm.transactioncurrency"/><Parameter Name="OpportunityCustomerId" Type="mscrm.crmbaseentity"/><Parameter Name="SourceCampaignId" Type="mscrm.crmbaseentity"/><Parameter Name="Status" Type="Edm.Int32" Nullable="false"/><Parameter Name="SuppressDuplicateDetection" Type="Edm.Boolean"/><Parameter Name="ProcessInstanceId" Type="mscrm.crmbaseentity"/><ReturnType Type="Collection(mscrm.crmbaseentity)" Nullable="false"/></Action>',
    '<Action Name="Merge"><Parameter Name="Target" Type="mscrm.crmbaseentity" Nullable="false"/><Parameter Name="Subordinate" Type="mscrm.crmbaseentity" Nullable="false"/><Parameter Name="UpdateContent" Type="mscrm.crmbaseentity"/><Parameter Name="PerformParentingChecks" Type="Edm.Boolean" Nullable="false"/></Action>',
    '<EntityContainer Name="System">',
  );
  for (const entity of catalog.entities.values()) {
    const tracking = withAnnotations
      ? `<Annotation Term="Org.OData.Capabilities.V1.ChangeTracking"><Record><PropertyValue Property="Supported" Bool="${entity.changeTracking}"/></Record></Annotation>`
      : '';
    out.push(
      `<EntitySet Name="${entity.entitySetName}" EntityType="Microsoft.Dynamics.CRM.${entity.logicalName}">${tracking}</EntitySet>`,
    );
  }
  out.push(
    '<FunctionImport Name="WhoAmI" Function="Microsoft.Dynamics.CRM.WhoAmI"/>',
    '<ActionImport Name="Merge" Action="Microsoft.Dynamics.CRM.Merge"/>',
    '</EntityContainer>',
    '</Schema>',
    '</edmx:DataServices>',
    '</edmx:Edmx>',
  );
  return out.join('');
}

function edmType(attribute: AttributeDefinition): string {
  switch (attribute.type) {
    case 'Integer':
    case 'Picklist':
    case 'State':
    case 'Status':
      return 'Edm.Int32';
    case 'BigInt':
      return 'Edm.Int64';
    case 'Decimal':
    case 'Money':
      return 'Edm.Decimal';
    case 'Double':
      return 'Edm.Double';
    case 'Boolean':
      return 'Edm.Boolean';
    case 'DateTime':
      return attribute.format === 'DateOnly' ? 'Edm.Date' : 'Edm.DateTimeOffset';
    case 'Lookup':
    case 'Customer':
    case 'Owner':
    case 'Uniqueidentifier':
      return 'Edm.Guid';
    default:
      return 'Edm.String';
  }
}
