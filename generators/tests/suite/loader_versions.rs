//! Version conversions into the one model: Swagger 2.0 (body and formData parameters,
//! definitions, consumes/produces, securityDefinitions), OpenAPI 3.1 (type arrays, const,
//! examples, tabs in block scalars) and 3.0; security (global, per operation, the empty
//! override); parameter style/explode; responses with ranges and `default`.

use trespass_generators::model::{
    Additional, ApiModel, Method, OAuthFlow, Operation, OperationId, ParameterLocation,
    ParameterStyle, SchemaId, SchemaKind, SecurityRequirement, SecurityScheme, SpecVersion,
    StatusKey,
};
use trespass_generators::spec::{LoadOptions, load_str, load_str_with};
use trespass_generators::{SpecError, SpecErrorKind};

fn op<'a>(m: &'a ApiModel, id: &str) -> &'a Operation {
    m.operation(&OperationId::parse(id).expect("operation id"))
        .unwrap_or_else(|| panic!("no operation {id}"))
}

fn kind(m: &ApiModel, id: SchemaId) -> &SchemaKind {
    &m.schemas.get(id).kind
}

fn prop(m: &ApiModel, object: SchemaId, name: &str) -> SchemaId {
    m.schemas
        .object_properties(object)
        .and_then(|p| p.get(name).copied())
        .unwrap_or_else(|| panic!("no property {name}"))
}

fn requirement(pairs: &[(&str, &[&str])]) -> SecurityRequirement {
    SecurityRequirement(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.iter().map(|s| s.to_string()).collect()))
            .collect(),
    )
}

const SWAGGER: &str = r#"
swagger: '2.0'
info: {title: petstore, version: '1.0'}
host: api.example.com
basePath: /v2
schemes: [https, http]
consumes: [application/json, application/xml]
produces: [application/json]
securityDefinitions:
  key: {type: apiKey, name: api_key, in: header}
  basicAuth: {type: basic}
  petstore_auth:
    type: oauth2
    flow: implicit
    authorizationUrl: https://example.com/oauth/dialog
    scopes:
      'write:pets': modify pets
      'read:pets': read pets
  machine:
    type: oauth2
    flow: application
    tokenUrl: https://example.com/token
    scopes: {'admin:all': everything}
security:
  - key: []
paths:
  /pets:
    post:
      operationId: addPet
      security:
        - petstore_auth: ['write:pets', 'read:pets']
      parameters:
        - in: body
          name: body
          required: true
          schema: {$ref: '#/definitions/Pet'}
      responses:
        '201':
          description: created
          schema: {$ref: '#/definitions/Pet'}
          headers:
            Location: {type: string}
        default:
          description: error
          schema: {$ref: '#/definitions/Error'}
    get:
      produces: [application/json, text/csv]
      parameters:
        - {name: tags, in: query, type: array, items: {type: string}, collectionFormat: multi}
        - {name: ids, in: query, type: array, items: {type: integer}, collectionFormat: pipes}
        - {name: sort, in: query, type: array, items: {type: string}, collectionFormat: ssv}
        - {name: fields, in: query, type: array, items: {type: string}}
        - {name: limit, in: query, type: integer, format: int32, minimum: 1, maximum: 100, default: 20}
        - {name: X-Trace, in: header, type: string}
      responses:
        '200':
          description: ok
          schema:
            type: array
            items: {$ref: '#/definitions/Pet'}
  /pets/{petId}:
    parameters:
      - {name: petId, in: path, required: true, type: integer, format: int64}
    post:
      consumes: [application/x-www-form-urlencoded]
      security: []
      parameters:
        - {name: name, in: formData, type: string, required: true}
        - {name: status, in: formData, type: string, enum: [available, sold]}
      responses:
        '200': {description: ok}
  /pets/{petId}/photo:
    parameters:
      - {name: petId, in: path, required: true, type: integer}
    post:
      security:
        - basicAuth: []
        - machine: ['admin:all']
      parameters:
        - {name: file, in: formData, type: file, required: true}
        - {name: caption, in: formData, type: string}
      responses:
        '2XX': {description: ok}
definitions:
  Pet:
    type: object
    required: [name]
    discriminator: petType
    properties:
      id: {type: integer, format: int64, readOnly: true}
      name: {type: string, example: doggie}
      petType: {type: string}
      nickname: {type: string, x-nullable: true}
      tags:
        type: array
        items: {$ref: '#/definitions/Tag'}
  Tag:
    type: object
    properties:
      id: {type: integer}
  Error:
    type: object
    properties:
      message: {type: string}
"#;

#[test]
fn swagger_2_converts_to_the_model() {
    let m = load_str(SWAGGER, "petstore.yaml").unwrap();
    assert_eq!(m.version, SpecVersion::Swagger2);
    assert_eq!(m.spec_version, "2.0");
    assert!(m.warnings.is_empty(), "{:#?}", m.warnings);
    let urls: Vec<&str> = m.servers.iter().map(|s| s.url.as_str()).collect();
    assert_eq!(
        urls,
        ["https://api.example.com/v2", "http://api.example.com/v2"]
    );

    // definitions are the named schemas.
    let pet = m.schemas.by_name("Pet").expect("Pet from definitions");
    assert!(m.schemas.by_name("Tag").is_some());
    assert!(m.schemas.get(prop(&m, pet, "id")).read_only);
    assert!(m.schemas.get(prop(&m, pet, "nickname")).nullable);
    assert_eq!(
        m.schemas.get(prop(&m, pet, "name")).examples,
        [serde_json::json!("doggie")]
    );

    // A body parameter is the request body, under every `consumes` media type.
    let add = op(&m, "POST /pets");
    let body = add.request_body.as_ref().expect("body");
    assert!(body.required);
    let media: Vec<&str> = body.content.keys().map(String::as_str).collect();
    assert_eq!(media, ["application/json", "application/xml"]);
    assert!(body.content.values().all(|mt| mt.schema == Some(pet)));
    assert!(add.parameters.is_empty(), "the body is no parameter");
    // `produces` gives the response media types; headers and `default` are kept.
    let created = &add.responses[&StatusKey::Code(201)];
    assert_eq!(created.json_schema(), Some(pet));
    assert!(created.header("location").is_some());
    assert!(add.responses.contains_key(&StatusKey::Default));
    assert_eq!(
        add.response_for(500).map(|r| r.description.as_str()),
        Some("error")
    );
    let list = op(&m, "GET /pets");
    let ok = &list.responses[&StatusKey::Code(200)];
    let media: Vec<&str> = ok.content.keys().map(String::as_str).collect();
    assert_eq!(
        media,
        ["application/json", "text/csv"],
        "operation produces wins"
    );

    // collectionFormat becomes style + explode.
    let style = |name: &str| {
        let p = list.parameter(ParameterLocation::Query, name).unwrap();
        (p.style, p.explode)
    };
    assert_eq!(style("tags"), (ParameterStyle::Form, true));
    assert_eq!(style("ids"), (ParameterStyle::PipeDelimited, false));
    assert_eq!(style("sort"), (ParameterStyle::SpaceDelimited, false));
    assert_eq!(style("fields"), (ParameterStyle::Form, false), "csv");
    let limit = list.parameter(ParameterLocation::Query, "limit").unwrap();
    assert!(!limit.required);
    let limit_schema = m.schemas.get(limit.schema);
    assert_eq!(limit_schema.default, Some(serde_json::json!(20)));
    assert!(
        matches!(&limit_schema.kind, SchemaKind::Integer(b) if b.minimum == Some(1.0) && b.maximum == Some(100.0))
    );
    assert!(
        list.parameter(ParameterLocation::Header, "X-Trace")
            .is_some()
    );

    // formData parameters: one object body, urlencoded (declared) or multipart (a file).
    let form = op(&m, "POST /pets/{petId}");
    let body = form.request_body.as_ref().expect("form body");
    let (media, mt) = body.content.first().unwrap();
    assert_eq!(media, "application/x-www-form-urlencoded");
    let SchemaKind::Object(o) = kind(&m, mt.schema.unwrap()) else {
        panic!("form is an object")
    };
    assert_eq!(o.properties.keys().collect::<Vec<_>>(), ["name", "status"]);
    assert_eq!(o.required, ["name"]);
    assert_eq!(o.additional, Additional::Any);
    let photo = op(&m, "POST /pets/{petId}/photo");
    let body = photo.request_body.as_ref().expect("multipart body");
    let (media, mt) = body.content.first().unwrap();
    assert_eq!(media, "multipart/form-data");
    let file = prop(&m, mt.schema.unwrap(), "file");
    assert_eq!(m.schemas.get(file).format.as_deref(), Some("binary"));
    assert!(matches!(kind(&m, file), SchemaKind::String(_)));
    assert!(photo.responses.contains_key(&StatusKey::Range(2)));

    // securityDefinitions: apiKey, basic, oauth2 with its flow mapped and its scopes.
    assert_eq!(
        m.security_schemes["key"],
        SecurityScheme::ApiKey {
            name: "api_key".into(),
            location: ParameterLocation::Header
        }
    );
    assert!(
        matches!(&m.security_schemes["basicAuth"], SecurityScheme::Http { scheme, .. } if scheme == "basic")
    );
    let SecurityScheme::OAuth2 { flows } = &m.security_schemes["petstore_auth"] else {
        panic!("oauth2")
    };
    assert_eq!(
        flows.as_slice(),
        [OAuthFlow {
            kind: "implicit".into(),
            authorization_url: Some("https://example.com/oauth/dialog".into()),
            token_url: None,
            scopes: [
                ("write:pets".to_string(), "modify pets".to_string()),
                ("read:pets".to_string(), "read pets".to_string())
            ]
            .into_iter()
            .collect(),
        }]
    );
    let SecurityScheme::OAuth2 { flows } = &m.security_schemes["machine"] else {
        panic!("oauth2")
    };
    assert_eq!(flows[0].kind, "clientCredentials", "2.0 `application`");

    // Security: global, per operation with scopes, the empty override, alternatives.
    assert_eq!(m.global_security, [requirement(&[("key", &[])])]);
    assert_eq!(list.effective_security, m.global_security);
    assert_eq!(list.security, None);
    assert_eq!(
        add.effective_security,
        [requirement(&[(
            "petstore_auth",
            &["write:pets", "read:pets"]
        )])]
    );
    assert_eq!(form.security, Some(vec![]));
    assert!(form.allows_anonymous());
    assert!(!add.allows_anonymous());
    assert_eq!(photo.effective_security.len(), 2);
    // An admin scope on every alternative... is not here: basicAuth has none.
    assert!(!m.is_admin(&photo.id));
}

#[test]
fn swagger_2_discriminator_and_response_without_schema() {
    let m = load_str(SWAGGER, "petstore.yaml").unwrap();
    let pet = m.schemas.by_name("Pet").unwrap();
    // A 2.0 discriminator is only a property name; Pet stays an object.
    assert!(matches!(kind(&m, pet), SchemaKind::Object(_)));
    let ok = &op(&m, "POST /pets/{petId}").responses[&StatusKey::Code(200)];
    assert!(ok.content.is_empty(), "no schema: no body documented");
}

const OPENAPI_31: &str = "openapi: 3.1.0
info:
  title: three-one
  version: '1'
  description: |
    A description with a tab inside a block scalar:
    \tindented by a tab
paths:
  /things:
    post:
      requestBody:
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Thing'}
      responses:
        '201':
          description: ok
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Thing'
                description: siblings of $ref are allowed in 3.1
webhooks:
  newThing:
    post:
      responses:
        '200': {description: ok}
components:
  schemas:
    Thing:
      type: object
      properties:
        name: {type: [string, 'null'], maxLength: 10}
        size: {type: [integer, string]}
        kind: {const: widget}
        nothing: {type: 'null'}
        score: {type: number, exclusiveMinimum: 0, exclusiveMaximum: 10}
        tags:
          type: array
          prefixItems: [{type: string}, {type: integer}]
          examples: [[a, 1]]
        note:
          type: string
          examples: [first, second]
          description: |
            tab\tinside
            \tand leading
";

#[test]
fn openapi_3_1_keywords() {
    let m = load_str(OPENAPI_31, "three-one.yaml").unwrap();
    assert_eq!(m.version, SpecVersion::OpenApi31);
    let thing = m.schemas.by_name("Thing").unwrap();
    // `type: [string, "null"]` is a nullable string with its bounds.
    let name = m.schemas.get(prop(&m, thing, "name"));
    assert!(name.nullable);
    assert!(matches!(&name.kind, SchemaKind::String(b) if b.max_length == Some(10)));
    // Several types: a union.
    let size = kind(&m, prop(&m, thing, "size"));
    let SchemaKind::Union(kinds) = size else {
        panic!("{size:?}")
    };
    let names: Vec<_> = kinds.iter().filter_map(SchemaKind::type_name).collect();
    assert_eq!(names, ["integer", "string"]);
    assert_eq!(
        m.schemas.get(prop(&m, thing, "kind")).const_value,
        Some(serde_json::json!("widget"))
    );
    assert_eq!(*kind(&m, prop(&m, thing, "nothing")), SchemaKind::Null);
    // 2020-12 numeric exclusive bounds.
    let SchemaKind::Number(b) = kind(&m, prop(&m, thing, "score")) else {
        panic!("number")
    };
    assert_eq!((b.minimum, b.exclusive_minimum), (Some(0.0), true));
    assert_eq!((b.maximum, b.exclusive_maximum), (Some(10.0), true));
    let tags = prop(&m, thing, "tags");
    let SchemaKind::Array(a) = kind(&m, tags) else {
        panic!("array")
    };
    assert_eq!(a.prefix_items.len(), 2);
    assert_eq!(m.schemas.get(tags).examples, [serde_json::json!(["a", 1])]);
    assert_eq!(
        m.schemas.get(prop(&m, thing, "note")).examples,
        [serde_json::json!("first"), serde_json::json!("second")]
    );
    // `$ref` with siblings: an annotation-only sibling keeps the reference.
    let created = op(&m, "POST /things").responses[&StatusKey::Code(201)]
        .json_schema()
        .unwrap();
    assert_eq!(created, thing);
    // Webhooks are skipped with a warning naming them.
    assert!(
        m.warnings
            .iter()
            .any(|w| w.pointer == "#/webhooks" && w.message.contains("webhook")),
        "{:#?}",
        m.warnings
    );
    // The document with tabs in block scalars parses (libyaml-based parsers reject it).
    assert_eq!(m.title, "three-one");
}

#[test]
fn openapi_3_1_without_paths_and_ref_with_constraints() {
    let m = load_str(
        "openapi: 3.1.0\ninfo: {title: empty, version: '1'}\ncomponents:\n  schemas:\n    Base: {type: string}\n    Short: {$ref: '#/components/schemas/Base', maxLength: 3}\n",
        "empty.yaml",
    )
    .unwrap();
    assert!(
        m.operations.is_empty(),
        "3.1 allows a document without paths"
    );
    let short = m.schemas.by_name("Short").unwrap();
    // A constraining sibling of `$ref` merges into one string schema.
    assert!(
        matches!(kind(&m, short), SchemaKind::String(b) if b.max_length == Some(3)),
        "{:?}",
        kind(&m, short)
    );
    // Before 3.1 a `$ref` replaces its object: a constraining sibling is ignored, with a
    // warning naming it and the place, and the schema stays the referenced one.
    let m = load_str(
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n    \
         Base: {type: string}\n    Odd: {$ref: '#/components/schemas/Base', type: object, maxLength: 3}\n",
        "siblings.yaml",
    )
    .unwrap();
    let odd = m.schemas.by_name("Odd").unwrap();
    assert!(
        matches!(kind(&m, odd), SchemaKind::String(b) if b.max_length.is_none()),
        "{:?}",
        kind(&m, odd)
    );
    assert!(
        m.warnings
            .iter()
            .any(|w| w.pointer == "#/components/schemas/Odd"
                && w.message.contains("maxLength, type")
                && w.message.contains("ignored")),
        "{:#?}",
        m.warnings
    );
    // 3.0 without paths is an error naming the field.
    let e: SpecError = load_str(
        "openapi: 3.0.0\ninfo: {title: t, version: '1'}\n",
        "nopaths.yaml",
    )
    .unwrap_err();
    assert_eq!(e.kind, SpecErrorKind::MissingField("paths".into()));
}

const OPENAPI_30: &str = r#"
openapi: 3.0.3
info: {title: three-oh, version: '1'}
security:
  - bearer: []
  - key: []
paths:
  /items/{itemId}:
    parameters:
      - {name: itemId, in: path, required: true, schema: {type: string}}
      - {name: verbose, in: query, schema: {type: boolean}}
    get:
      security: [{}, {bearer: []}]
      parameters:
        - {name: verbose, in: query, required: true, schema: {type: integer}}
        - name: filter
          in: query
          style: deepObject
          explode: true
          schema: {type: object, additionalProperties: {type: string}}
        - {name: ids, in: query, style: spaceDelimited, explode: false, schema: {type: array, items: {type: integer}}}
        - {name: tags, in: query, schema: {type: array, items: {type: string}}}
        - {name: coords, in: path, style: matrix, explode: true, schema: {type: array, items: {type: number}}}
        - {name: X-Request-Id, in: header, schema: {type: string, format: uuid}}
        - {name: session, in: cookie, schema: {type: string}}
        - name: where
          in: query
          content:
            application/json:
              schema: {type: object, properties: {x: {type: integer}}}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Item'}
        '2XX': {description: other success}
        4xx: {description: client error}
        default: {description: anything else}
        x-internal: {description: an extension, not a status}
        '999': {description: not a status}
    delete:
      security: []
      responses:
        '204': {description: gone}
components:
  securitySchemes:
    bearer: {type: http, scheme: Bearer, bearerFormat: JWT}
    key: {type: apiKey, in: query, name: key}
  schemas:
    Item:
      type: object
      required: [id]
      properties:
        id: {type: string, readOnly: true}
        secret: {type: string, writeOnly: true}
        count: {type: integer, minimum: 0, exclusiveMinimum: true, multipleOf: 5}
        label: {type: string, nullable: true, pattern: '^[a-z]+$', minLength: 1}
        shape:
          oneOf:
            - {$ref: '#/components/schemas/Circle'}
            - {$ref: '#/components/schemas/Square'}
          discriminator:
            propertyName: kind
            mapping: {circle: '#/components/schemas/Circle', square: Square}
        merged:
          allOf:
            - {type: object, properties: {a: {type: string}}, required: [a]}
            - {type: object, properties: {b: {type: integer}}}
    Circle: {type: object, properties: {kind: {type: string}, r: {type: number}}}
    Square: {type: object, properties: {kind: {type: string}, side: {type: number}}}
"#;

#[test]
fn security_requirements_global_override_and_empty() {
    let m = load_str(OPENAPI_30, "three-oh.yaml").unwrap();
    assert_eq!(
        m.global_security,
        [
            requirement(&[("bearer", &[])]),
            requirement(&[("key", &[])])
        ]
    );
    assert!(
        matches!(&m.security_schemes["bearer"], SecurityScheme::Http { scheme, bearer_format } if scheme == "bearer" && bearer_format.as_deref() == Some("JWT"))
    );
    let get = op(&m, "GET /items/{itemId}");
    // `{}` among the alternatives: authentication is optional.
    assert_eq!(
        get.effective_security,
        [
            SecurityRequirement::default(),
            requirement(&[("bearer", &[])])
        ]
    );
    assert!(get.allows_anonymous());
    // `security: []` overrides the global requirements: the operation is public.
    let delete = op(&m, "DELETE /items/{itemId}");
    assert_eq!(delete.security, Some(vec![]));
    assert!(delete.effective_security.is_empty());
    assert!(delete.allows_anonymous());
}

#[test]
fn parameter_styles_explode_and_overrides() {
    let m = load_str(OPENAPI_30, "three-oh.yaml").unwrap();
    let get = op(&m, "GET /items/{itemId}");
    let p = |loc, name: &str| {
        get.parameter(loc, name)
            .unwrap_or_else(|| panic!("no parameter {name}"))
    };
    use ParameterLocation::{Cookie, Header, Path, Query};
    // Defaults: path and header simple without explode; query and cookie form with explode.
    assert_eq!(
        (p(Path, "itemId").style, p(Path, "itemId").explode),
        (ParameterStyle::Simple, false)
    );
    assert!(p(Path, "itemId").required);
    assert_eq!(
        (p(Query, "tags").style, p(Query, "tags").explode),
        (ParameterStyle::Form, true)
    );
    assert_eq!(
        (
            p(Header, "X-Request-Id").style,
            p(Header, "X-Request-Id").explode
        ),
        (ParameterStyle::Simple, false)
    );
    assert_eq!(
        (p(Cookie, "session").style, p(Cookie, "session").explode),
        (ParameterStyle::Form, true)
    );
    // Explicit styles.
    assert_eq!(
        (p(Query, "filter").style, p(Query, "filter").explode),
        (ParameterStyle::DeepObject, true)
    );
    assert_eq!(
        (p(Query, "ids").style, p(Query, "ids").explode),
        (ParameterStyle::SpaceDelimited, false)
    );
    assert_eq!(
        (p(Path, "coords").style, p(Path, "coords").explode),
        (ParameterStyle::Matrix, true)
    );
    // `content` instead of `schema`: the media type is kept.
    assert_eq!(
        p(Query, "where").media_type.as_deref(),
        Some("application/json")
    );
    // The operation-level `verbose` replaces the path-level one (same name and location).
    let verbose: Vec<_> = get
        .parameters
        .iter()
        .filter(|x| x.name == "verbose")
        .collect();
    assert_eq!(verbose.len(), 1);
    assert!(verbose[0].required);
    assert!(matches!(
        kind(&m, verbose[0].schema),
        SchemaKind::Integer(_)
    ));
    // The path-level parameters also reach the operation that declares none.
    let delete = op(&m, "DELETE /items/{itemId}");
    assert!(delete.parameter(Path, "itemId").is_some());
    assert!(delete.parameter(Query, "verbose").is_some());
}

#[test]
fn responses_by_code_range_and_default() {
    let m = load_str(OPENAPI_30, "three-oh.yaml").unwrap();
    let get = op(&m, "GET /items/{itemId}");
    let keys: Vec<StatusKey> = get.responses.keys().copied().collect();
    assert_eq!(
        keys,
        [
            StatusKey::Code(200),
            StatusKey::Range(2),
            StatusKey::Range(4),
            StatusKey::Default
        ],
        "in spec order; x- keys skipped, and the invalid one skipped with a warning"
    );
    let description = |s| get.response_for(s).map(|r| r.description.as_str());
    assert_eq!(description(200), Some("ok"));
    assert_eq!(description(201), Some("other success"));
    assert_eq!(description(404), Some("client error"));
    assert_eq!(description(503), Some("anything else"));
    assert!(
        m.warnings
            .iter()
            .any(|w| w.pointer == "#/paths/~1items~1{itemId}/get/responses/999"),
        "{:#?}",
        m.warnings
    );
    // In strict mode the invalid status is an error with its pointer.
    let e = load_str_with(OPENAPI_30, "three-oh.yaml", &LoadOptions::strict()).unwrap_err();
    assert_eq!(e.pointer, "/paths/~1items~1{itemId}/get/responses/999");
    assert!(e.to_string().contains("not a status code"), "{e}");
}

#[test]
fn openapi_3_0_schema_keywords() {
    let m = load_str(OPENAPI_30, "three-oh.yaml").unwrap();
    let item = m.schemas.by_name("Item").unwrap();
    assert!(m.schemas.get(prop(&m, item, "id")).read_only);
    assert!(m.schemas.get(prop(&m, item, "secret")).write_only);
    let SchemaKind::Integer(count) = kind(&m, prop(&m, item, "count")) else {
        panic!("integer")
    };
    assert_eq!(count.minimum, Some(0.0));
    assert!(count.exclusive_minimum, "3.0 boolean exclusiveMinimum");
    assert_eq!(count.multiple_of, Some(5.0));
    let label = m.schemas.get(prop(&m, item, "label"));
    assert!(label.nullable);
    assert!(
        matches!(&label.kind, SchemaKind::String(b) if b.pattern.as_deref() == Some("^[a-z]+$") && b.min_length == Some(1))
    );
    let SchemaKind::OneOf(shape) = kind(&m, prop(&m, item, "shape")) else {
        panic!("oneOf")
    };
    let circle = m.schemas.by_name("Circle").unwrap();
    let square = m.schemas.by_name("Square").unwrap();
    assert_eq!(shape.variants, [circle, square]);
    let d = shape.discriminator.as_ref().expect("discriminator");
    assert_eq!(d.property_name, "kind");
    assert_eq!(d.mapping["circle"], circle);
    assert_eq!(
        d.mapping["square"], square,
        "a bare name maps to the component"
    );
    // allOf of compatible objects is merged into one object.
    let SchemaKind::Object(merged) = kind(&m, prop(&m, item, "merged")) else {
        panic!("merged allOf: {:?}", kind(&m, prop(&m, item, "merged")))
    };
    assert_eq!(merged.properties.keys().collect::<Vec<_>>(), ["a", "b"]);
    assert_eq!(merged.required, ["a"]);
    assert_eq!(m.operations[0].method, Method::Get);
}

#[test]
fn versions_and_documents_that_are_not_openapi() {
    for (text, expected) in [
        (
            "openapi: 2.5.0\ninfo: {}\npaths: {}\n",
            "unsupported version `2.5.0`",
        ),
        ("swagger: '1.2'\n", "unsupported version `1.2`"),
        (
            "title: a config file\n",
            "neither an `openapi` nor a `swagger` field",
        ),
        ("- a\n- list\n", "must be a mapping"),
        ("{\"openapi\": \"3.0.0\",", "not valid JSON at line 1"),
        ("openapi: 3.0.0\npaths: [\n", "not valid YAML"),
    ] {
        let e = load_str(text, "doc.yaml").expect_err(text);
        let message = e.to_string();
        assert!(message.starts_with("doc.yaml: "), "{message}");
        assert!(message.contains(expected), "{text:?}: {message}");
    }
    // A paths object of the wrong type names its pointer.
    let e = load_str("openapi: 3.0.0\ninfo: {}\npaths: [1]\n", "doc.yaml").unwrap_err();
    assert_eq!(e.pointer, "/paths");
    assert!(e.to_string().contains("expected a mapping of paths"), "{e}");
}
