use super::*;

/// Nested collections, parameter names in another style than `{kindId}`, an API key, a
/// listing wrapped in an object, and integer ids.
const SPEC: &str = r##"
openapi: 3.0.0
servers: [{url: "https://api.example.com/v2"}]
components:
  securitySchemes:
    key: {type: apiKey, in: header, name: X-Key}
  schemas:
    Shelf:
      type: object
      required: [name]
      properties:
        shelfUuid: {type: string, format: uuid}
        name: {type: string}
    Book:
      type: object
      required: [title, pages]
      properties:
        id: {type: integer}
        title: {type: string}
        pages: {type: integer}
security: [{key: []}]
paths:
  /shelves:
    post:
      requestBody:
        required: true
        content: {application/json: {schema: {$ref: "#/components/schemas/Shelf"}}}
      responses: {"201": {content: {application/json: {schema: {$ref: "#/components/schemas/Shelf"}}}}}
    get:
      parameters: [{name: limit, in: query, required: true, schema: {type: integer}}]
      responses:
        "200":
          content:
            application/json:
              schema: {type: object, properties: {shelves: {type: array, items: {$ref: "#/components/schemas/Shelf"}}}}
  /shelves/{shelfUuid}:
    get:
      responses: {"200": {content: {application/json: {schema: {$ref: "#/components/schemas/Shelf"}}}}}
    delete:
      responses: {"204": {description: gone}}
  /shelves/{shelfUuid}/books:
    post:
      requestBody:
        required: true
        content: {application/json: {schema: {$ref: "#/components/schemas/Book"}}}
      responses: {"200": {content: {application/json: {schema: {$ref: "#/components/schemas/Book"}}}}}
  /shelves/{shelfUuid}/books/{bookId}:
    patch:
      requestBody:
        content: {application/json: {schema: {$ref: "#/components/schemas/Book"}}}
      responses: {"200": {content: {application/json: {schema: {$ref: "#/components/schemas/Book"}}}}}
  /health:
    get:
      security: []
      responses: {"200": {content: {application/json: {schema: {type: object, required: [ok], properties: {ok: {type: boolean}}}}}}}
"##;

async fn send(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    body: Option<Value>,
    key: bool,
) -> (u16, Value) {
    let mut request = client.request(method, url);
    if key {
        request = request.header("X-Key", "anything");
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_created_object_is_read_changed_listed_and_deleted_and_unknown_ids_are_404() {
    let stub = start_stub(SPEC, 0).unwrap();
    let base = format!("{}/v2", stub.url());
    let client = reqwest::Client::new();
    let (status, shelf) = send(
        &client,
        reqwest::Method::POST,
        format!("{base}/shelves"),
        Some(json!({"name": "fiction"})),
        true,
    )
    .await;
    assert_eq!(status, 201, "{shelf}");
    let uuid = shelf["shelfUuid"].as_str().unwrap().to_string();
    assert_eq!(
        uuid.len(),
        36,
        "an id in the property the item path names: {shelf}"
    );
    let (status, read) = send(
        &client,
        reqwest::Method::GET,
        format!("{base}/shelves/{uuid}"),
        None,
        true,
    )
    .await;
    assert_eq!((status, &read), (200, &shelf));
    let (status, list) = send(
        &client,
        reqwest::Method::GET,
        format!("{base}/shelves?limit=5"),
        None,
        true,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        list["shelves"],
        json!([shelf]),
        "listed in the schema's array: {list}"
    );

    let (status, book) = send(
        &client,
        reqwest::Method::POST,
        format!("{base}/shelves/{uuid}/books"),
        Some(json!({"title": "Dune", "pages": 412})),
        true,
    )
    .await;
    assert_eq!(status, 200);
    let id = book["id"].as_u64().expect("an integer id");
    let (status, changed) = send(
        &client,
        reqwest::Method::PATCH,
        format!("{base}/shelves/{uuid}/books/{id}"),
        Some(json!({"title": "Dune Messiah", "pages": 256})),
        true,
    )
    .await;
    assert_eq!((status, &changed["title"]), (200, &json!("Dune Messiah")));
    let (status, _) = send(
        &client,
        reqwest::Method::PATCH,
        format!("{base}/shelves/{uuid}/books/{}", id + 7),
        Some(json!({"title": "x", "pages": 1})),
        true,
    )
    .await;
    assert_eq!(status, 404, "an unknown nested id");

    let (status, _) = send(
        &client,
        reqwest::Method::DELETE,
        format!("{base}/shelves/{uuid}"),
        None,
        true,
    )
    .await;
    assert_eq!(status, 204);
    let (status, _) = send(
        &client,
        reqwest::Method::GET,
        format!("{base}/shelves/{uuid}"),
        None,
        true,
    )
    .await;
    assert_eq!(status, 404, "deleted");
    let (status, _) = send(
        &client,
        reqwest::Method::GET,
        format!("{base}/shelves/nope"),
        None,
        true,
    )
    .await;
    assert_eq!(status, 404);
    // Without the server's base path too, and the reset forgets everything.
    let (status, _) = send(
        &client,
        reqwest::Method::POST,
        format!("{}/shelves", stub.url()),
        Some(json!({"name": "a"})),
        true,
    )
    .await;
    assert_eq!(status, 201);
    let reset = client
        .post(format!("{}/__reset", stub.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status().as_u16(), 204);
    let (_, list) = send(
        &client,
        reqwest::Method::GET,
        format!("{base}/shelves?limit=5"),
        None,
        true,
    )
    .await;
    assert_eq!(list["shelves"], json!([]));
}

#[tokio::test]
async fn bad_requests_get_400_and_missing_credentials_401() {
    let stub = start_stub(SPEC, 0).unwrap();
    let base = stub.url();
    let client = reqwest::Client::new();
    let post = |body: Option<Value>, key: bool| {
        send(
            &client,
            reqwest::Method::POST,
            format!("{base}/shelves"),
            body,
            key,
        )
    };
    assert_eq!(
        post(Some(json!({"name": 5})), true).await.0,
        400,
        "a wrong type"
    );
    let (status, why) = post(Some(json!({"title": "x"})), true).await;
    assert_eq!(status, 400);
    assert!(why["error"].as_str().unwrap().contains("/name"), "{why}");
    assert_eq!(post(None, true).await.0, 400, "a required body missing");
    assert_eq!(
        post(Some(json!({"name": "x"})), false).await.0,
        401,
        "no key"
    );
    let (status, _) = send(
        &client,
        reqwest::Method::GET,
        format!("{base}/shelves"),
        None,
        true,
    )
    .await;
    assert_eq!(status, 400, "the required query parameter is missing");
    let (status, health) = send(
        &client,
        reqwest::Method::GET,
        format!("{base}/health"),
        None,
        false,
    )
    .await;
    assert_eq!(
        (status, health),
        (200, json!({"ok": false})),
        "open, with a body valid against its schema"
    );
    let (status, _) = send(
        &client,
        reqwest::Method::PUT,
        format!("{base}/health"),
        None,
        false,
    )
    .await;
    assert_eq!(status, 405);
    assert!(matches!(start_stub("paths: [", 0), Err(StubError::Spec(_))));
    assert!(matches!(
        start_stub("openapi: 3.0.0", 0),
        Err(StubError::Spec(_))
    ));
}
